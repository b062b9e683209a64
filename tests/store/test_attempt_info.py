"""The attempt record as one type (dflow.store.attempts.AttemptInfo): what the engine
writes is what every reader gets back, and records of other layouts lose nothing."""

from __future__ import annotations

from dflow.errors import ErrorRecord
from dflow.store import TaskAddress, open_store
from dflow.store.attempts import AttemptInfo


def test_a_record_round_trips_through_the_store_unchanged(tmp_path):
    store = open_store(str(tmp_path / "s"))
    t = TaskAddress("F", "1", "work", "3")
    n = store.start_attempt(t)
    error = ErrorRecord("ValueError", "bad", "Traceback ...")
    info = AttemptInfo(
        attempt=n, started_at=5.0, host="h", pid=9, parents=("start/0",), foreach_stack=((3, 4),)
    ).finished(7.0, error)
    store.write_attempt_record(t, n, info.to_dict())
    back = AttemptInfo.from_dict(store.read_attempt_record(t, n))
    assert back.status == "failed" and back.duration == 2.0 and back.error == error
    assert back.parents == ("start/0",) and back.foreach_stack == ([3, 4],)
    assert back.to_dict() == info.to_dict() | {"foreach_stack": [[3, 4]]}


def test_keys_it_does_not_know_are_kept_and_missing_ones_read_as_unknown():
    old = {"layout": 1, "status": "succeeded", "duration": 1.5, "host": "h", "gpu": "A100"}
    info = AttemptInfo.from_dict(old, attempt=2)
    assert info.attempt == 2 and info.parents is None and info.error is None
    assert info.extra == {"gpu": "A100"}
    assert info.to_dict() == {
        "attempt": 2,
        "status": "succeeded",
        "duration": 1.5,
        "host": "h",
        "gpu": "A100",
        "worker": None,
        "worker_name": None,
    }


def test_a_caught_failure_reads_as_caught():
    info = AttemptInfo.from_dict({"status": "succeeded", "caught": {"type": "KeyError"}})
    assert info.caught == ErrorRecord("KeyError", "", caught=True) and info.error is None
