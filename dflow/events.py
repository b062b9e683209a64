"""Events dflow publishes on the Dask scheduler, for the dashboard's dflow page.

Topic ``dflow-runs`` (from the driver): ``{"flow", "run_id", "state", "time", "store",
"steps", "graph"}`` with state "running", "succeeded" or "failed" (``graph``: the run
record's graph, :mod:`dflow.graph.record`, on the first "running" event; ``totals``,
step -> tasks submitted so far, on later ones). Topic ``dflow-tasks``
(from a worker, when an attempt ends): ``{"flow", "run_id", "step", "task_id",
"attempt", "state", "time", "duration", "worker"}`` with state "succeeded" or "failed",
plus ``"error"`` on a failure: the attempt's :class:`~dflow.errors.ErrorRecord` as JSON,
message and traceback capped. Topic ``dflow-cards`` (from a worker, when a running step
calls ``current.card.refresh()``): ``{"flow", "run_id", "step", "task_id", "attempt",
"time", "cards": [{"id", "type", "key"}]}``, the store keys of the card pages rendered
then (live cards; the committed ones are in the task's manifest). All are
plain msgpack-able dicts; a scheduler plugin can follow them through its ``log_event``
hook. Publishing is best effort and never fails a task or a run.
"""

from __future__ import annotations

import time

from dflow.errors import ErrorRecord

RUNS_TOPIC = "dflow-runs"
TASKS_TOPIC = "dflow-tasks"
CARDS_TOPIC = "dflow-cards"
#: Longest error message and traceback (its end) a task event carries.
MAX_ERROR_CHARS = 6000


def _this_worker():
    """The Dask worker running this code, or None (not on a worker, or no distributed)."""
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def _log(sender, topic: str, msg: dict) -> bool:
    """``sender.log_event(topic, msg)`` (a worker or a client); False when it could not be
    sent. Publishing is best effort: it never fails a task or a run."""
    try:
        sender.log_event(topic, msg)
    except Exception:  # noqa: BLE001 - the dashboard is best effort; the store has the records
        return False
    return True


def publish_task_event(
    flow: str,
    run_id: str,
    step: str,
    task_id: str,
    attempt: int,
    state: str,
    duration: float | None,
    error: ErrorRecord | None = None,
) -> None:
    """Tell the scheduler (if this is a Dask worker) that an attempt ended (``error``:
    why it failed)."""
    worker = _this_worker()
    if worker is None:
        return
    msg = {
        "flow": flow,
        "run_id": run_id,
        "step": step,
        "task_id": task_id,
        "attempt": attempt,
        "state": state,
        "time": time.time(),
        "duration": duration,
        "worker": worker.address,
    }
    if state == "failed" and error is not None:
        msg["error"] = error.capped(MAX_ERROR_CHARS).to_dict()
    _log(worker, TASKS_TOPIC, msg)  # best effort: the store has the attempt's record


def publish_run_event(
    client,
    flow: str,
    run_id: str,
    state: str,
    store_url: str,
    steps: list[str],
    graph: dict | None = None,
    totals: dict[str, int] | None = None,
) -> None:
    """Tell the scheduler that a run started or ended, or how many tasks each step has
    so far (``totals``, while it runs); a no-op without a client."""
    if client is None:
        return
    msg = {
        "flow": flow,
        "run_id": run_id,
        "state": state,
        "time": time.time(),
        "store": store_url,
        "steps": steps,
    }
    if graph is not None:
        msg["graph"] = graph
    if totals is not None:
        msg["totals"] = dict(totals)
    _log(client, RUNS_TOPIC, msg)


def publish_card_event(
    flow: str, run_id: str, step: str, task_id: str, attempt: int, cards: list[dict]
) -> bool:
    """Tell the scheduler (if this is a Dask worker) where a running task's refreshed card
    pages are in the store; False off a worker or when the event could not be sent."""
    worker = _this_worker()
    if worker is None:
        return False
    msg = {
        "flow": flow,
        "run_id": run_id,
        "step": step,
        "task_id": task_id,
        "attempt": attempt,
        "time": time.time(),
        "cards": [dict(c) for c in cards],
    }
    return _log(worker, CARDS_TOPIC, msg)  # best effort: the committed card is in the store
