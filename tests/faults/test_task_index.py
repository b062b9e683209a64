"""Readers of many tasks go through the run's task index and one listing
(dflow.store.taskindex): they show what the store holds, damage included."""

from __future__ import annotations

import shutil

import pytest
from faultkit import attempt_dir, dflow_in_process, run, run_dir, zoo_flow

from dflow.client import ClientContext, Run
from dflow.client.display import format_run


def _foreach_run(store_url: str) -> Run:
    cls = zoo_flow("good_foreach.py", "ForeachFlow")
    result = run(cls, store_url, batch_size=2)  # units [0, 1] and [2]: one index object
    return Run(result.pathspec, ClientContext(store_url, namespace=None))


def _store(store_url: str):
    from dflow.store import open_store

    return open_store(store_url)


@pytest.mark.parametrize("layout", [2, 1])
def test_show_reads_the_same_with_and_without_the_index(store_url, layout):
    from layoutkit import downgrade_run

    r = _foreach_run(store_url)
    if layout == 1:
        downgrade_run(_store(store_url), "ForeachFlow", r.id)
    index = run_dir(store_url, "ForeachFlow", r.id) / "taskindex"
    assert [p.name for p in index.iterdir()] == ["square.0.json"]
    indexed = format_run(r)
    snapshot = r._bulk_records().files
    # two tasks' commit (layout 2: their DONE; layout 1: record, manifest, DONE); task 2
    # is read
    assert snapshot.indexed == {2: 2, 1: 6}[layout]
    shutil.rmtree(index)
    assert format_run(r.refresh()) == indexed
    assert r._bulk_records().files.indexed == 0
    assert "3      succeeded" in indexed


@pytest.mark.parametrize(
    ("layout", "how"), [(2, "DONE garbled"), (1, "DONE deleted"), (1, "manifest garbled")]
)
def test_damage_to_an_indexed_task_is_shown(store_url, layout, how):
    from layoutkit import downgrade_run
    from test_damaged_runs import damage_commit

    r = _foreach_run(store_url)
    if layout == 1:
        downgrade_run(_store(store_url), "ForeachFlow", r.id)
    damage_commit(attempt_dir(store_url, "ForeachFlow", r.id, "square", "0"), how)
    states = [t.state for t in r["square"].tasks()]
    assert states == ["damaged", "succeeded", "succeeded"]
    assert r["square"].tasks()[0].damage
    assert r.step_states()["square"] == "damaged"
    done = dflow_in_process("show", r.pathspec, "--store", store_url)
    assert done.returncode == 0, done.stderr
    assert "1 damaged, 2 succeeded" in done.stdout
