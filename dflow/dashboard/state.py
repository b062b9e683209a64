"""What the dflow dashboard page knows about runs: a pure aggregate of scheduler facts.

:class:`RunBoard` is fed three kinds of facts, all on the scheduler's event loop and all
cheap (a dict update each):

- ``dflow-runs`` events (a run started, succeeded or failed; its steps and store);
- ``dflow-tasks`` events (an attempt of a task ended, on which worker, how long);
- task transitions of dflow's Dask keys (``"<Flow>.<step>-<run_id>-<task_id>"``), which
  say what is running or waiting now;
- ``dflow-cards`` events (a running task refreshed its cards: their pages' store keys),
  kept until that attempt ends (its committed cards are then in the store).

Counts of ``done`` and ``failed`` are per task (from the events). One Dask key may carry
a batch of several foreach tasks, which its unit runs one after another, so ``running``
is the step's keys in "processing" (one task each) and, while the run is live,
``waiting`` is the rest of the tasks the driver has submitted for the step (its
``totals``, sent on the ``dflow-runs`` topic), never fewer than the step's waiting keys.
The board imports nothing from distributed, so it is tested without a scheduler.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from dflow.errors import ErrorRecord
from dflow.plan import parse_dask_key

#: Runs kept in memory; the oldest finished runs are dropped first.
MAX_RUNS = 200
#: Task events kept per run for the detail view (the newest ones).
MAX_TASK_EVENTS = 5000
#: Failed attempts kept per run with their error and traceback (the newest ones).
MAX_FAILURES = 50
#: Scheduler states of a key still to run (besides "processing", which is running).
_WAITING = {"released", "waiting", "queued", "no-worker"}
_FINISHED = {"memory", "erred", "forgotten"}


#: ``"F.step-12-0"`` -> ``("F", "step", "12", "0")``; None for keys that are not dflow's.
parse_key = parse_dask_key


@dataclass
class RunState:
    """Everything the board holds about one run."""

    flow: str
    run_id: str
    status: str = "running"
    started: float | None = None
    finished: float | None = None
    store: str | None = None
    steps: list[str] = field(default_factory=list)
    graph: dict | None = None  # the run record's graph (dflow.graph.record), if sent
    #: the newest failed attempts: their task event plus "error" (an ErrorRecord or None)
    failures: list[dict] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # step -> tasks the driver submitted
    last_event: dict[tuple[str, str], dict] = field(default_factory=dict)
    failed_attempts: dict[str, int] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (step, state)
    #: (step, task_id) -> the newest ``dflow-cards`` event of a running attempt
    live_cards: dict[tuple[str, str], dict] = field(default_factory=dict)
    seen: float = field(default_factory=time.time)

    def add_step(self, step: str) -> None:
        """Remember a step name (in the order first seen)."""
        if step not in self.steps:
            self.steps.append(step)

    def step_counts(self) -> list[dict]:
        """Per step: tasks done, failed, failed attempts, running and waiting (counted in
        tasks, though a key may carry a batch: see the module docstring) and ``tasks``,
        the step's task count so far."""
        counts = {
            s: {
                "step": s,
                "done": 0,
                "failed": 0,
                "running": 0,
                "waiting": 0,
                "failed_attempts": self.failed_attempts.get(s, 0),
            }
            for s in self.steps
        }
        for (step, _task), ev in self.last_event.items():
            counts[step]["done" if ev["state"] == "succeeded" else "failed"] += 1
        for step, state in self.keys.values():  # one task of a key runs at a time
            counts[step]["running" if state == "processing" else "waiting"] += 1
        for c in counts.values():
            total = self.totals.get(c["step"], 0)
            if self.status == "running" and total:  # batched keys: count their tasks
                rest = total - c["done"] - c["failed"] - c["running"]
                c["waiting"] = max(c["waiting"], rest)
            known = c["done"] + c["failed"] + c["running"] + c["waiting"]
            c["tasks"] = max(total, known)  # the driver's count, at least what is known
        return [counts[s] for s in self.steps]

    def summary(self, now: float) -> dict:
        """A JSON-able summary (the rows of ``/dflow/api/runs``)."""
        end = self.finished if self.finished is not None else now
        return {
            "flow": self.flow,
            "run_id": self.run_id,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "store": self.store,
            "duration": (end - self.started) if self.started is not None else None,
            "steps": self.step_counts(),
        }


class RunBoard:
    """The runs a scheduler has seen, built from events and transitions."""

    def __init__(self, max_runs: int = MAX_RUNS) -> None:
        self.runs: dict[tuple[str, str], RunState] = {}
        self.max_runs = max_runs

    def _run(self, flow: str, run_id: str) -> RunState:
        run = self.runs.get((flow, run_id))
        if run is None:
            run = self.runs[(flow, run_id)] = RunState(flow, str(run_id))
            self._trim()
        return run

    def _trim(self) -> None:
        if len(self.runs) <= self.max_runs:
            return
        done = sorted((r.seen, k) for k, r in self.runs.items() if r.status != "running")
        for _, k in done[: len(self.runs) - self.max_runs]:
            del self.runs[k]

    def on_run_event(self, msg: dict) -> None:
        """A ``dflow-runs`` event: a run started or ended."""
        run = self._run(str(msg["flow"]), str(msg["run_id"]))
        state = str(msg.get("state", "running"))
        when = msg.get("time")
        run.status = state
        run.store = msg.get("store") or run.store
        if isinstance(msg.get("graph"), dict):
            run.graph = msg["graph"]
        if isinstance(msg.get("totals"), dict):
            run.totals.update({str(k): int(v) for k, v in msg["totals"].items()})
        for step in msg.get("steps") or ():
            run.add_step(str(step))
        if state == "running":
            run.started = when if run.started is None else run.started
        else:
            run.finished = when
            run.keys.clear()
            run.live_cards.clear()

    def on_task_event(self, msg: dict) -> None:
        """A ``dflow-tasks`` event: an attempt of a task ended."""
        run = self._run(str(msg["flow"]), str(msg["run_id"]))
        step, task = str(msg["step"]), str(msg["task_id"])
        run.add_step(step)
        ev = {
            "step": step,
            "task_id": task,
            "attempt": int(msg.get("attempt", 0)),
            "state": str(msg.get("state")),
            "time": msg.get("time"),
            "duration": msg.get("duration"),
            "worker": msg.get("worker"),
        }
        if ev["state"] == "failed":
            run.failures.append({**ev, "error": ErrorRecord.read(msg.get("error"))})
            del run.failures[:-MAX_FAILURES]
        prev = run.last_event.get((step, task))
        if prev is None or ev["attempt"] >= prev["attempt"]:
            run.last_event[(step, task)] = ev
        live = run.live_cards.get((step, task))
        if live is not None and live["attempt"] <= ev["attempt"]:
            del run.live_cards[(step, task)]  # that attempt ended: its cards are committed
        if ev["state"] == "failed":
            run.failed_attempts[step] = run.failed_attempts.get(step, 0) + 1
        run.events.append(ev)
        if len(run.events) > MAX_TASK_EVENTS:
            del run.events[: len(run.events) - MAX_TASK_EVENTS]

    def on_card_event(self, msg: dict) -> None:
        """A ``dflow-cards`` event: a running task refreshed its cards."""
        run = self._run(str(msg["flow"]), str(msg["run_id"]))
        step, task = str(msg["step"]), str(msg["task_id"])
        attempt = int(msg.get("attempt", 0))
        done = run.last_event.get((step, task))
        if done is not None and done["attempt"] >= attempt:
            return  # a late event of an attempt that already ended
        prev = run.live_cards.get((step, task))
        if prev is None or (attempt, msg.get("time") or 0) >= (prev["attempt"], prev["time"]):
            cards = [
                {"id": c.get("id"), "type": str(c.get("type")), "key": str(c["key"])}
                for c in msg.get("cards") or ()
                if isinstance(c, dict) and c.get("key")
            ]
            run.live_cards[(step, task)] = {
                "attempt": attempt,
                "time": msg.get("time") or 0,
                "cards": cards,
            }
        if run.status != "running":
            run.live_cards.clear()

    def on_transition(self, key: Any, finish: str) -> None:
        """A scheduler task transition; keys that are not dflow's are ignored."""
        parts = parse_key(key)
        if parts is None:
            return
        flow, step, run_id, _task = parts
        run = self.runs.get((flow, run_id))
        if finish in _FINISHED or (finish == "released" and (run is None or key not in run.keys)):
            if run is not None:
                run.keys.pop(key, None)
            return
        run = run or self._run(flow, run_id)
        run.add_step(step)
        run.keys[key] = (
            step,
            finish if finish == "processing" or finish in _WAITING else "waiting",
        )

    def snapshot(self, now: float | None = None) -> dict:
        """``{"time", "runs": [summary, ...]}``, newest run first."""
        now = time.time() if now is None else now
        runs = sorted(self.runs.values(), key=lambda r: r.started or r.seen, reverse=True)
        return {"time": now, "runs": [r.summary(now) for r in runs]}

    def detail(self, flow: str, run_id: str, now: float | None = None) -> dict | None:
        """The summary of one run plus its task events; None for a run never seen."""
        run = self.runs.get((flow, run_id))
        if run is None:
            return None
        out = run.summary(time.time() if now is None else now)
        out["events"] = list(run.events)
        out["failures"] = [
            {**f, "error": f["error"].to_dict() if f["error"] else {}} for f in run.failures
        ]
        return out
