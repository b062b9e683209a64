"""RunBoard: events and key transitions aggregated into per-run, per-step counts."""

from __future__ import annotations

from dflow.dashboard.state import RunBoard, parse_key


def _run_event(state, t, steps=("start", "fit", "end")):
    return {
        "flow": "F",
        "run_id": "17",
        "state": state,
        "time": t,
        "store": "/s",
        "steps": list(steps),
    }


def _task_event(step, task, attempt, state, t=2.0):
    return {
        "flow": "F",
        "run_id": "17",
        "step": step,
        "task_id": task,
        "attempt": attempt,
        "state": state,
        "time": t,
        "duration": 0.5,
        "worker": "tcp://w:1",
    }


def test_parse_key():
    assert parse_key("TrainFlow.fit-1795739563832009-3.1") == (
        "TrainFlow",
        "fit",
        "1795739563832009",
        "3.1",
    )
    assert parse_key("inc-5f1e2b") is None
    assert parse_key(("x", 0)) is None


def test_counts_follow_transitions_and_events():
    board = RunBoard()
    board.on_run_event(_run_event("running", 1.0))
    for i in range(3):
        board.on_transition(f"F.fit-17-{i}", "released")  # new keys: ignored until waiting
        board.on_transition(f"F.fit-17-{i}", "waiting")
    board.on_transition("F.fit-17-0", "processing")
    board.on_transition("some-other-key", "processing")
    fit = board.snapshot(now=5.0)["runs"][0]["steps"][1]
    assert (fit["step"], fit["running"], fit["waiting"], fit["done"]) == ("fit", 1, 2, 0)

    board.on_task_event(_task_event("fit", "0", 0, "failed"))
    board.on_task_event(_task_event("fit", "0", 1, "succeeded"))
    board.on_transition("F.fit-17-0", "memory")
    board.on_transition("F.fit-17-0", "released")  # released after memory: not waiting again
    run = board.snapshot(now=5.0)["runs"][0]
    fit = run["steps"][1]
    assert (fit["done"], fit["failed"], fit["failed_attempts"]) == (1, 0, 1)
    assert (fit["running"], fit["waiting"]) == (0, 2)
    assert run["status"] == "running" and run["duration"] == 4.0

    board.on_run_event(_run_event("failed", 6.0))
    run = board.snapshot()["runs"][0]
    assert run["status"] == "failed" and run["duration"] == 5.0
    assert all(s["running"] == s["waiting"] == 0 for s in run["steps"])


def test_late_older_attempt_does_not_hide_the_newer_one():
    board = RunBoard()
    board.on_task_event(_task_event("fit", "0", 1, "succeeded"))
    board.on_task_event(_task_event("fit", "0", 0, "failed"))
    fit = board.snapshot()["runs"][0]["steps"][0]
    assert (fit["done"], fit["failed"], fit["failed_attempts"]) == (1, 0, 1)
    assert len(board.detail("F", "17")["events"]) == 2
    assert board.detail("F", "18") is None


def test_old_finished_runs_are_dropped_first():
    board = RunBoard(max_runs=3)
    board.on_run_event({**_run_event("running", 1.0), "run_id": "1"})
    for rid in ("2", "3", "4"):
        board.on_run_event({**_run_event("running", 1.0), "run_id": rid})
        board.on_run_event({**_run_event("succeeded", 2.0), "run_id": rid})
    assert sorted(r for _, r in board.runs) == ["1", "3", "4"]


def test_batched_keys_count_their_tasks():
    """A foreach of 130 tasks in units of 64, 64 and 2: one key is processing (one of its
    tasks runs at a time), two keys wait; 10 tasks are done. Counts are in tasks."""
    board = RunBoard()
    board.on_run_event({**_run_event("running", 1.0), "totals": {"start": 1, "fit": 130}})
    for first in (0, 64, 128):
        board.on_transition(f"F.fit-17-{first}", "waiting")
    board.on_transition("F.fit-17-0", "processing")
    for i in range(10):
        board.on_task_event(_task_event("fit", str(i), 0, "succeeded"))
    board.on_task_event(_task_event("fit", "10", 0, "failed"))  # to be retried, in its unit
    fit = board.snapshot(now=5.0)["runs"][0]["steps"][1]
    assert (fit["done"], fit["failed"], fit["running"]) == (10, 1, 1)
    assert (fit["waiting"], fit["tasks"]) == (118, 130)

    board.on_task_event(_task_event("fit", "10", 1, "succeeded"))
    board.on_transition("F.fit-17-64", "processing")
    fit = board.snapshot(now=5.0)["runs"][0]["steps"][1]
    assert (fit["done"], fit["failed"], fit["running"], fit["waiting"]) == (11, 0, 2, 117)

    board.on_run_event(_run_event("failed", 6.0))  # an ended run waits for nothing
    fit = board.snapshot(now=7.0)["runs"][0]["steps"][1]
    assert (fit["running"], fit["waiting"], fit["tasks"]) == (0, 0, 130)


def _card_event(step, task, attempt, key, t=1.5):
    return {
        "flow": "F",
        "run_id": "17",
        "step": step,
        "task_id": task,
        "attempt": attempt,
        "time": t,
        "cards": [{"id": None, "type": "blank", "key": key}],
    }


def test_live_cards_last_until_their_attempt_ends():
    board = RunBoard()
    board.on_run_event(_run_event("running", 1.0))
    board.on_card_event(_card_event("fit", "0", 0, "k1", t=1.1))
    board.on_card_event(_card_event("fit", "0", 0, "k2", t=1.2))  # the newer refresh wins
    board.on_card_event(_card_event("fit", "1", 0, "k3"))
    run = board.runs[("F", "17")]
    assert run.live_cards[("fit", "0")]["cards"][0]["key"] == "k2"
    board.on_task_event(_task_event("fit", "0", 0, "failed"))
    assert ("fit", "0") not in run.live_cards  # attempt 0 ended: its cards are final
    board.on_card_event(_card_event("fit", "0", 0, "late", t=1.3))  # a late event: ignored
    assert ("fit", "0") not in run.live_cards
    board.on_card_event(_card_event("fit", "0", 1, "retry"))  # the retry refreshes
    assert run.live_cards[("fit", "0")]["attempt"] == 1
    assert parse_key("F.loop-17-0_3") == ("F", "loop", "17", "0_3")  # a loop's pass
    board.on_run_event(_run_event("failed", 3.0))
    assert run.live_cards == {}
