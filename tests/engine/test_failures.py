"""Failures and the run-time decorators: retry, catch, timeout, environment, resources."""

from __future__ import annotations

import os

import pytest
from runkit import artifacts, flow_class, run

from dflow.engine.resources import check_resources
from dflow.errors import ResourceUnavailableError
from dflow.graph import build_graph
from dflow.store import TaskAddress, open_store


def test_a_failing_step_fails_the_run_with_the_users_traceback(store_url):
    result = run(flow_class("FailFlow"), store_url)
    assert result.status == "failed"
    error = result.error
    assert error.task.endswith("/boom/0") and error.attempt == 0
    assert error.type == "ValueError"
    assert "user code failed on purpose" in error.traceback
    assert "behaviours.py" in error.traceback
    assert "dflow/engine" not in error.traceback
    store = open_store(store_url)
    record = store.read_run_record(result.flow_name, result.run_id)
    assert record["status"] == "failed" and record["error"] == error.to_dict()
    # what was committed before the failure is kept
    assert artifacts(store_url, result, "start")["kept"].startswith("committed")
    boom = TaskAddress(result.flow_name, result.run_id, "boom", "0")
    assert store.committed_attempts(boom) == []
    assert b"about to fail" in store.read_log(boom, 0, "stdout")
    assert b"ValueError" in store.read_log(boom, 0, "stderr")
    assert store.read_attempt_record(boom, 0)["status"] == "failed"


def test_retry_keeps_every_attempt(store_url):
    result = run(flow_class("RetryFlow"), store_url)
    assert result.status == "succeeded", result.error
    store = open_store(store_url)
    start = TaskAddress(result.flow_name, result.run_id, "start", "0")
    assert store.list_attempts(start) == [0, 1]
    assert store.committed_attempts(start) == [1]
    assert store.read_attempt_record(start, 0)["status"] == "failed"
    assert store.read_log(start, 0, "stdout") == b"attempt 0\n"
    assert store.read_log(start, 1, "stdout") == b"attempt 1\n"
    assert artifacts(store_url, result, "start")["attempt_seen"] == 1


def test_catch_stores_the_exception_and_goes_on(store_url):
    result = run(flow_class("CatchFlow"), store_url)
    assert result.status == "succeeded", result.error
    end = artifacts(store_url, result, "end")
    assert "KeyError" in end["saw"] and "missing thing" in end["saw"]
    assert end["before"] == 1


def test_timeout_fails_the_attempt(store_url):
    result = run(flow_class("TimeoutFlow"), store_url, {"seconds": 30.0})
    assert result.status == "failed"
    assert "timed out" in result.error.message


def test_a_timed_out_step_stops_even_if_it_catches_exception(store_url):
    import threading

    from runkit import wait_for

    result = run(flow_class("StubbornTimeoutFlow"), store_url)
    assert result.status == "failed" and "timed out" in result.error.message
    wait_for(
        lambda: not any(t.name == "dflow-step" and t.is_alive() for t in threading.enumerate()),
        timeout=10,
        what="the timed-out step's thread to stop",
    )


def test_environment_is_set_for_its_step_only(store_url):
    assert "DFLOW_TEST_MODE" not in os.environ
    result = run(flow_class("EnvironmentFlow"), store_url)
    end = artifacts(store_url, result, "end")
    assert end["inside"] == "on" and end["inside_getenv"] == "on"
    assert end["after"] is None
    assert "DFLOW_TEST_MODE" not in os.environ


def test_resources_no_worker_offers_fail_fast_naming_the_resource():
    graph = build_graph(flow_class("ResourcesFlow"))
    with pytest.raises(ResourceUnavailableError) as info:
        check_resources(graph, (), [{"CPU": 2, "MEMORY": 8000}, {"CPU": 2, "MEMORY": 8000}])
    message = str(info.value)
    assert "GPU=4" in message and "--resources" in message
    check_resources(graph, (), [{"CPU": 1, "MEMORY": 8000, "GPU": 4}])  # offered: fine


def test_with_attaches_a_decorator_to_every_step(store_url):
    result = run(flow_class("FailFlow"), store_url, with_decorators=("catch:var=oops",))
    assert result.status == "succeeded", result.error
