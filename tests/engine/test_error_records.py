"""One error record (dflow.errors.ErrorRecord) from the engine to every reader.

Its JSON form (attempt records' "error" and "caught", the run record's "error") is pinned
by tests/golden/store/error_v1.json: a format change must be a conscious one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runkit import artifacts, flow_class, run

from dflow.client import ClientContext, Run, Task
from dflow.errors import CaughtException, ErrorRecord
from dflow.report.collect import collect_run
from dflow.store import TaskAddress, open_store

GOLDEN = json.loads(
    (Path(__file__).resolve().parents[1] / "golden" / "store" / "error_v1.json").read_text()
)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_the_golden_error_records_read_and_write_back_unchanged(name):
    record = ErrorRecord.from_dict(GOLDEN[name])
    assert record.to_dict() == GOLDEN[name]
    assert record.type and record.message and record.traceback.startswith("Traceback")


def test_a_failed_run_writes_the_golden_shape_and_every_reader_gets_the_same_record(store_url):
    result = run(flow_class("FailFlow"), store_url)
    error = result.error
    assert isinstance(error, ErrorRecord) and error.type == "ValueError"
    assert error.task == f"{result.pathspec}/boom/0" and error.attempt == 0
    store = open_store(store_url)
    run_error = store.read_run_record(result.flow_name, result.run_id)["error"]
    assert sorted(run_error) == sorted(GOLDEN["run_record_error"])
    addr = TaskAddress(result.flow_name, result.run_id, "boom", "0")
    attempt_error = store.read_attempt_record(addr, 0)["error"]
    assert sorted(attempt_error) == sorted(GOLDEN["attempt_record_error"])

    context = ClientContext(store_url, namespace=None)
    assert Run(result.pathspec, context).exception == error
    task_error = error.at(None, None)
    assert Task(addr.pathspec, context).exception == task_error
    report = collect_run(store, result.flow_name, result.run_id)
    (failed,) = [a for t in report.tasks for a in t.attempts if a.error]
    assert failed.error == task_error and failed.caught is None


def test_a_caught_failure_is_the_same_record_as_the_catch_value(store_url):
    result = run(flow_class("CatchFlow"), store_url)
    assert result.successful
    caught = artifacts(store_url, result, "risky")["failure"]
    assert isinstance(caught, CaughtException)
    assert caught.type == "builtins.KeyError" and caught.exception == "'missing thing'"
    store = open_store(store_url)
    addr = TaskAddress(result.flow_name, result.run_id, "risky", "0")
    attempts = store.list_attempts(addr)
    record = store.read_attempt_record(addr, attempts[-1])["caught"]
    assert sorted(record) == sorted(GOLDEN["attempt_record_caught"])
    seen = Task(addr.pathspec, ClientContext(store_url, namespace=None)).exception
    assert seen.caught and seen == ErrorRecord.from_dict(record, caught=True)
    assert (seen.message, seen.traceback) == (caught.record.message, caught.record.traceback)
    assert (seen.exception, seen.stacktrace) == (caught.exception, caught.stacktrace)


def test_a_capped_record_keeps_the_message_start_and_the_traceback_end():
    record = ErrorRecord("ValueError", "m" * 10, "t" * 9 + "END")
    capped = record.capped(4)
    assert (capped.message, capped.traceback) == ("mmmm", "tEND")
    assert ErrorRecord.read(capped.to_dict()) == capped
    assert ErrorRecord.read({}) is None and ErrorRecord.read(None) is None
