"""The client API on real runs: Flow, Run, Step, Task, DataArtifact, code, errors."""

import datetime
import re

import numpy as np
import pytest

from dflow.client import (
    DataArtifact,
    Flow,
    Metaflow,
    Run,
    Step,
    Task,
    namespace,
    set_store,
)
from dflow.errors import ObjectNotFoundError, StoreError


@pytest.fixture
def store(history: dict) -> str:
    set_store(history["store"])
    return history["store"]


def test_metaflow_lists_every_flow(store):
    names = [f.id for f in Metaflow().flows]
    assert names == ["ArrayFlow", "FailingFlow", "ForeachFlow", "ParamsFlow", "RetryFlow"]


def test_metaflow_style_script_works_unchanged(store, history):
    # as a Metaflow user writes it, after changing the import line
    run = Flow("ParamsFlow").latest_successful_run
    assert run.data.y == pytest.approx(1.4)
    assert run.id == history["params"]  # bob's newer run is not in alice's namespace
    assert run.parameters == {"alpha": 0.7}
    assert run.data.alpha == 0.7  # parameters are artifacts too, as in Metaflow


def test_flow_runs_newest_first_and_indexing(store, history):
    flow = Flow("ParamsFlow")
    assert [r.id for r in flow] == [history["params"], history["params_old"]]
    assert flow.latest_run.id == history["params"]
    assert flow[history["params_old"]].data.y == pytest.approx(0.6)
    assert flow.parent is None and flow.pathspec == "ParamsFlow" and flow.id == "ParamsFlow"
    assert isinstance(flow.created_at, datetime.datetime)


def test_run_properties(store, history):
    run = Run(f"ForeachFlow/{history['foreach']}")
    assert run.successful and run.finished and run.status == "succeeded"
    assert run.user_tags == frozenset({"t1"})
    assert "user:alice" in run.system_tags
    assert run.created_at <= run.finished_at
    assert run.duration >= 0
    assert run.parent == Flow("ForeachFlow")
    assert run.pathspec == f"ForeachFlow/{history['foreach']}"
    assert repr(run) == f"Run('ForeachFlow/{history['foreach']}')"
    assert "succeeded" in run._repr_html_() and "<table>" in run._repr_html_()
    assert [s.id for s in run] == ["end", "join", "square", "start"]  # Metaflow's order
    assert [s.id for s in run.steps()] == ["start", "square", "join", "end"]
    assert run.data.results == [1, 4, 9]
    assert run.end_task.stdout == "[1, 4, 9]\n"


def test_foreach_indexes_and_parents(store, history):
    run = Run(f"ForeachFlow/{history['foreach']}")
    square = run["square"]
    assert isinstance(square, Step) and len(square) == 3
    tasks = square.tasks()
    assert [t.index for t in tasks] == [0, 1, 2]
    assert [t.data.result for t in tasks] == [1, 4, 9]
    assert all(t.parent_tasks == [run["start"].task] for t in tasks)
    join = run["join"].task
    assert join.parent_tasks == tasks
    assert join.index is None and run["start"].task.index is None
    assert square.tasks("t1") == tasks and square.tasks("other") == []
    assert square["2"].pathspec == f"ForeachFlow/{history['foreach']}/square/2"
    assert square.task == tasks[0]


def test_task_artifacts_and_metadata(store, history):
    task = Task(f"ParamsFlow/{history['params']}/end/0")
    assert task.successful and task.finished and task.exception is None
    names = [a.id for a in task.artifacts]
    assert names == ["x", "y", "alpha"]
    art = task["y"]
    assert isinstance(art, DataArtifact)
    assert art.data == pytest.approx(1.4) and art.type == "builtins.float"
    assert art.encoding == "msgpack" and len(art.sha) == 32 and art.size > 0
    assert art.pathspec == f"ParamsFlow/{history['params']}/end/0/y"
    assert art.parent == task and art.created_at == task.finished_at
    assert task.artifacts.y.sha == art.sha
    assert "y" in task.data and "nope" not in task.data
    meta = task.metadata_dict
    assert meta["status"] == "succeeded" and meta["attempt"] == 0
    assert meta["parents"] == ["start/0"] and "host" in meta and "pid" in meta
    assert task.attempts == [0] and task.current_attempt == 0
    assert task.stdout == "y is 1.4\n" and task.stderr == ""
    assert DataArtifact(art.pathspec).data == pytest.approx(1.4)
    assert "succeeded" in task._repr_html_()


def test_failed_run(store, history):
    run = Run(f"FailingFlow/{history['failed']}")
    assert not run.successful and not run.finished and run.ended and run.status == "failed"
    assert run.exception.type == "ValueError" and "boom in explode" in run.exception.message
    assert run.end_task is None and run.data is None
    task = run["explode"].task
    # Metaflow: a failed task is neither successful nor finished (_task_ok is False)
    assert not task.successful and not task.finished and task.ended
    assert task.finished_at is not None  # it did stop, at that time
    assert task.exception.type == "ValueError"
    assert "boom in explode" in task.exception.traceback
    assert "warning: bad input" in task.stderr and "ValueError: boom in explode" in task.stderr
    assert task.stdout == "about to fail\n"
    with pytest.raises(AttributeError, match="committed no artifacts"):
        _ = task.data.before
    assert run["start"].task.data.before == "ok"


def test_retried_task_keeps_every_attempt(store, history):
    task = Run(f"RetryFlow/{history['retry']}")["start"].task
    assert task.attempts == [0, 1] and task.current_attempt == 1
    assert task.successful and task.data.value == 42
    assert task.stdout == "attempt 1\n"
    assert task.log("stdout", attempt=0) == "attempt 0\n"
    first = task.attempt(0)
    assert not first.successful and first.exception.type == "RuntimeError"
    assert "first attempt fails" in first.stderr
    with pytest.raises(ObjectNotFoundError, match="no attempt 5"):
        task.attempt(5)


def test_large_array_opens_lazily(store, history, monkeypatch):
    import dask.array as da

    task = Run(f"ArrayFlow/{history['array']}")["start"].task
    art = task.artifacts.big
    assert art.encoding == "zarr" and art.type == "numpy.ndarray" and art.size == 3_200_000

    def no_full_load(*args, **kwargs):
        raise AssertionError("a lazy read must not load the whole array")

    monkeypatch.setattr(art.store, "load", no_full_load)
    arr = art.dask_array()
    assert isinstance(arr, da.Array) and arr.shape == (400_000,) and arr.numblocks[0] > 1
    np.testing.assert_array_equal(arr[399_990:].compute(), np.arange(399_990, 400_000.0))
    assert art.zarr()[5] == 5.0
    assert float(arr.sum().compute()) == float(np.arange(400_000, dtype="float64").sum())
    monkeypatch.undo()
    assert task.artifacts.small.encoding == "msgpack"
    np.testing.assert_array_equal(task.data.small, np.arange(5))


def test_run_code_snapshot(store, history, tmp_path):
    run = Run(f"ParamsFlow/{history['params']}")
    code = run.code
    assert code.path.is_dir() and (code.path / "client_flows.py").is_file()
    assert code.script_name == "client_flows.py"
    assert "class ParamsFlow(FlowSpec)" in code.flowspec
    target = code.extract(tmp_path / "out")
    assert (target / "client_flows.py").read_text() == code.flowspec
    assert "client_flows.py" in code.tarball.getnames()
    assert run["end"].task.code.key == code.key


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda h: Flow("NoSuchFlow"), "flow 'NoSuchFlow' has no runs"),
        (lambda h: Run("NoSuchFlow/123"), "flow 'NoSuchFlow' has no runs"),
        (lambda h: Run("ParamsFlow/123"), "flow 'ParamsFlow' has no run '123'"),
        (lambda h: Run("ParamsFlow"), "not a run pathspec"),
        (lambda h: Step(f"ParamsFlow/{h['params']}/nostep"), "has no step 'nostep'"),
        (lambda h: Task(f"ParamsFlow/{h['params']}/end/7"), "has no task '7'"),
        (lambda h: Task(f"ParamsFlow/{h['params']}/end"), "not a task pathspec"),
        (lambda h: DataArtifact(f"ParamsFlow/{h['params']}/end/0/nope"), "no artifact 'nope'"),
        (lambda h: Flow("bad name!"), "not a valid flow name"),
    ],
)
def test_unknown_objects_raise_object_not_found(store, history, make, match):
    with pytest.raises(ObjectNotFoundError, match=match):
        make(history)


def test_lookup_errors_are_also_key_and_attribute_errors(store, history):
    run = Run(f"ParamsFlow/{history['params']}")
    with pytest.raises(KeyError, match="has no step 'nostep'"):
        run["nostep"]
    with pytest.raises(KeyError, match="has no task '3'"):
        run["end"]["3"]
    with pytest.raises(KeyError, match="no artifact 'nope'"):
        run.end_task["nope"]
    with pytest.raises(AttributeError, match=r"no artifact 'nope' \(artifacts: x, y, alpha\)"):
        _ = run.data.nope
    with pytest.raises(KeyError):
        Flow("ParamsFlow")["999"]
    assert not hasattr(run.data, "nope")


def test_objects_from_another_store_context(history, tmp_path):
    from dflow.client import ClientContext

    with pytest.raises(StoreError, match="there is no dflow store at"):
        _ = Metaflow(ClientContext(str(tmp_path / "missing"))).flows
    assert not (tmp_path / "missing").exists()  # reading never creates a store
    (tmp_path / "empty").mkdir()
    assert Metaflow(ClientContext(str(tmp_path / "empty"))).flows == []
    mine = ClientContext(history["store"], namespace=None)
    assert Flow("ParamsFlow", mine).latest_run.id == history["params_bob"]
    namespace("user:nobody")  # the default context does not affect an explicit one
    assert Flow("ParamsFlow", mine).latest_run.id == history["params_bob"]


def test_the_default_store_follows_dflow_store(tmp_path, monkeypatch):
    from dflow.client import ClientContext

    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    context = ClientContext()
    monkeypatch.setenv("DFLOW_STORE", str(first))
    assert context.store.url == str(first)
    monkeypatch.setenv("DFLOW_STORE", str(second))
    assert context.store.url == str(second)


def test_notebook_views_format_durations_sizes_times_and_tables(history):
    from dflow.client import Run
    from dflow.client.context import ClientContext

    ctx = ClientContext(store=history["store"], namespace=None)
    run = Run(f"ParamsFlow/{history['params']}", ctx)
    page = run._repr_html_()
    assert re.search(r"<th>duration</th><td>\d+(\.\d+)? (ms|s|us)</td>", page), page
    assert re.search(r"<th>created_at</th><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", page)
    assert "<td>alpha</td><td><code>0.7</code></td>" in page  # parameters as a table
    assert "<th>step</th><th>tasks</th>" in page and ".report()" in page
    task = run["end"].task
    view = task._repr_html_()
    assert "<th>artifact</th><th>type</th><th>size</th><th>encoding</th>" in view
    assert f"<code>Run('{run.pathspec}').report()</code>" in view  # where its report is
    assert re.search(
        r"<td>alpha <i>\(parameter\)</i></td><td>builtins.float</td><td>\d+ B</td>", view
    )
    array = Run(f"ArrayFlow/{history['array']}", ctx)
    for step in array.steps():
        for t in step.tasks():
            for art in t:
                if art.is_array:
                    assert re.search(r"<th>size</th><td>[\d.]+ [kMG]iB</td>", art._repr_html_())
                    return
    raise AssertionError("ArrayFlow stored no array")
