"""current: None outside a run, bound per task, separate in concurrent threads."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dflow import current
from dflow.current import CurrentInfo

FIELDS = (
    "flow_name",
    "run_id",
    "step_name",
    "task_id",
    "retry_count",
    "origin_run_id",
    "namespace",
    "tags",
    "pathspec",
)


def info(task="1", **extra):
    return CurrentInfo("Flow", "r1", "start", task, **extra)


def test_outside_a_run_everything_is_none():
    assert current.is_running_flow is False
    assert all(getattr(current, name) is None for name in FIELDS)


def test_bind_sets_and_restores():
    with current._bind(info(retry_count=2, tags=("a",), namespace="user:me")):
        assert current.is_running_flow
        assert current.pathspec == "Flow/r1/start/1"
        assert current.retry_count == 2 and current.tags == ("a",)
        assert current.namespace == "user:me" and current.origin_run_id is None
        with current._bind(info("2")):
            assert current.task_id == "2"
        assert current.task_id == "1"
    assert current.is_running_flow is False


def test_bind_restores_after_an_exception():
    with pytest.raises(RuntimeError), current._bind(info()):
        raise RuntimeError("boom")
    assert current.run_id is None


def test_properties_are_read_only():
    with pytest.raises(AttributeError):
        current.run_id = "x"


def test_threads_see_their_own_task():
    barrier = threading.Barrier(4)

    def task(n):
        with current._bind(info(str(n))):
            barrier.wait(timeout=10)  # all four are bound at the same time
            return current.task_id

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(task, range(4))) == ["0", "1", "2", "3"]
    assert current.task_id is None


def test_bind_requires_current_info():
    with pytest.raises(TypeError), current._bind({"run_id": "x"}):
        pass
