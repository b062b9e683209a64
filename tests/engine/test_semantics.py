"""Step semantics on the in-process scheduler: artifacts, foreach, joins, switch, params."""

from __future__ import annotations

from pathlib import Path

import pytest
from runkit import artifacts, flow_class, run
from zoo import GOOD_FLOWS, load_zoo

from dflow.errors import ParameterError
from dflow.store import TaskAddress, open_store


@pytest.mark.parametrize("name", sorted(set(GOOD_FLOWS) - {"good_parameters.py"}))
def test_every_good_zoo_flow_runs(name, store_url):
    result = run(load_zoo(name), store_url)
    assert result.status == "succeeded", result.error


def test_foreach_children_see_their_own_item_and_join_sees_all(store_url):
    result = run(load_zoo("good_foreach.py"), store_url)
    assert artifacts(store_url, result, "join")["results"] == [1, 4, 9]
    store = open_store(store_url)
    tasks = store.list_tasks(result.flow_name, result.run_id, "square")
    assert sorted(tasks) == ["0", "1", "2"]
    assert artifacts(store_url, result, "square", "2")["result"] == 9


def test_nested_foreach_task_ids_carry_both_indices(store_url):
    result = run(load_zoo("good_nested_foreach.py"), store_url)
    assert result.status == "succeeded"
    store = open_store(store_url)
    steps = store.list_steps(result.flow_name, result.run_id)
    inner = [
        s
        for s in steps
        if all("." in t for t in store.list_tasks(result.flow_name, result.run_id, s))
    ]
    assert inner, f"no step with nested task ids among {steps}"


def test_artifacts_propagate_by_reference_without_copies(store_url):
    result = run(load_zoo("good_foreach.py"), store_url)
    store = open_store(store_url)
    start = store.latest_commit(TaskAddress(result.flow_name, result.run_id, "start", "0"))
    child = store.latest_commit(TaskAddress(result.flow_name, result.run_id, "square", "1"))
    assert child.artifacts["items"].key == start.artifacts["items"].key


def test_switch_takes_the_branch_the_value_names(store_url):
    result = run(load_zoo("good_switch.py"), store_url)
    store = open_store(store_url)
    steps = store.list_steps(result.flow_name, result.run_id)
    assert "quick" in steps and "thorough" not in steps
    assert artifacts(store_url, result, "end")["result"] == 1


def test_parameters_reach_steps_and_are_stored_once(store_url, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[1] / "zoo")
    result = run(load_zoo("good_parameters.py"), store_url, {"seed": 7, "who": "dask"})
    assert result.status == "succeeded", result.error
    assert artifacts(store_url, result, "start")["greeting"] == "hello dask" * 3
    record = open_store(store_url).read_run_record(result.flow_name, result.run_id)
    assert record["parameters"]["seed"] == 7
    assert set(record["parameter_refs"]) >= {"seed", "who", "words"}


def test_a_missing_required_parameter_is_refused_before_anything_runs(store_url):
    with pytest.raises(ParameterError, match="seed"):
        run(load_zoo("good_parameters.py"), store_url)


def test_inputs_by_step_name_and_merge_artifacts(store_url):
    result = run(flow_class("MergeFlow"), store_url)
    assert result.status == "succeeded", result.error
    join = artifacts(store_url, result, "join")
    assert join["sides"] == ["L", "R"]
    assert join["left_side"] == "L"
    assert join["shared"] == "same everywhere"
    assert join["left_only"] == 1
    assert join["shared_seen_in_join"] == "same everywhere"
    assert "side" not in join


def test_merge_artifacts_conflict_names_the_artifact(store_url):
    result = run(flow_class("ConflictFlow"), store_url)
    assert result.status == "failed"
    assert "value" in result.error.message and "disagree" in result.error.message


def test_large_arrays_travel_as_zarr(store_url):
    result = run(flow_class("ArrayFlow"), store_url, {"size": 300_000})
    store = open_store(store_url)
    manifest = store.latest_commit(TaskAddress(result.flow_name, result.run_id, "total", "0"))
    assert manifest.artifacts["data"].encoding == "zarr"
    assert artifacts(store_url, result, "total")["sum"] == sum(range(300_000))


def test_run_record_says_what_ran(store_url):
    result = run(load_zoo("good_foreach.py"), store_url, tags=("nightly",))
    record = open_store(store_url).read_run_record(result.flow_name, result.run_id)
    assert record["status"] == "succeeded"
    assert record["tags"] == ["nightly"]
    assert record["tasks"] == {"start": 1, "square": 3, "join": 1, "end": 1}
    assert record["code_key"] and record["versions"]["dask"]
    assert record["finished_at"] >= record["created_at"]
    assert open_store(store_url).list_runs(result.flow_name)[0].status == "succeeded"


def test_a_worker_configured_for_the_same_store_uses_its_own_options(monkeypatch, tmp_path):
    from dflow.engine.worker_cache import worker_store_options
    from dflow.plan import CodeRef, RunPlan

    graph = load_zoo("good_linear.py")
    from dflow.graph import build_graph

    plan = RunPlan(
        "LinearFlow",
        "1",
        build_graph(graph),
        "s3://bucket/store",
        {"endpoint_url": "http://127.0.0.1:5000", "key": "k"},
        CodeRef("local"),
        {},
        {},
    )
    monkeypatch.delenv("DFLOW_STORE", raising=False)
    monkeypatch.delenv("DFLOW_STORE_OPTIONS", raising=False)
    assert worker_store_options(plan)["endpoint_url"] == "http://127.0.0.1:5000"
    monkeypatch.setenv("DFLOW_STORE", "s3://bucket/store")
    monkeypatch.setenv("DFLOW_STORE_OPTIONS", '{"endpoint_url": "http://s3:5000"}')
    assert worker_store_options(plan) == {"endpoint_url": "http://s3:5000", "key": "k"}
    monkeypatch.setenv("DFLOW_STORE", "s3://another/store")
    assert worker_store_options(plan)["endpoint_url"] == "http://127.0.0.1:5000"


def test_a_switch_inside_a_branch_sends_one_input_per_branch_to_the_join(store_url):
    result = run(flow_class("SwitchInBranchFlow"), store_url)
    assert result.status == "succeeded", result.error
    assert artifacts(store_url, result, "join")["vs"] == ["b", "x"]
    assert artifacts(store_url, result, "end")["vs"] == ["b", "x"]
