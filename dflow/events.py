"""Events dflow publishes on the Dask scheduler, for the dashboard's dflow page.

Topic ``dflow-runs`` (from the driver): ``{"flow", "run_id", "state", "time", "store",
"steps", "graph"}`` with state "running", "succeeded" or "failed" (``graph``: the run
record's graph, :mod:`dflow.graph.record`, on the first "running" event; ``totals``,
step -> tasks submitted so far, on later ones). Topic ``dflow-tasks``
(from a worker, when an attempt ends): ``{"flow", "run_id", "step", "task_id",
"attempt", "state", "time", "duration", "worker"}`` with state "succeeded" or "failed",
plus ``"error": {"type", "message", "traceback"}`` (capped) on a failure. Both are
plain msgpack-able dicts; a scheduler plugin can follow them through its ``log_event``
hook. Publishing is best effort and never fails a task or a run.
"""

from __future__ import annotations

import time
from typing import Any

RUNS_TOPIC = "dflow-runs"
TASKS_TOPIC = "dflow-tasks"
#: Longest error message and traceback (its end) a task event carries.
MAX_ERROR_CHARS = 6000


def publish_task_event(
    flow: str, run_id: str, step: str, task_id: str, attempt: int, state: str, info: dict[str, Any]
) -> None:
    """Tell the scheduler (if this is a Dask worker) that an attempt ended."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return
    msg = {
        "flow": flow,
        "run_id": run_id,
        "step": step,
        "task_id": task_id,
        "attempt": attempt,
        "state": state,
        "time": time.time(),
        "duration": info.get("duration"),
        "worker": worker.address,
    }
    error = info.get("error")
    if state == "failed" and isinstance(error, dict):
        msg["error"] = {
            "type": str(error.get("type", "")),
            "message": str(error.get("message", ""))[:MAX_ERROR_CHARS],
            "traceback": str(error.get("traceback", ""))[-MAX_ERROR_CHARS:],
        }
    try:
        worker.log_event(TASKS_TOPIC, msg)
    except Exception:  # noqa: BLE001 - the dashboard is best effort; the store has the record
        pass


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
    try:
        client.log_event(RUNS_TOPIC, msg)
    except Exception:  # noqa: BLE001 - best effort, see above
        pass
