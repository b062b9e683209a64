"""A task attempt's state, as every reader shows it (client, ``dflow show``, report).

An attempt record says what the task runner saw ("succeeded", "failed", "running"), but
only the commit (the DONE marker; in layout 1 also the manifest it names) makes a success
readable. An attempt whose record says "succeeded" while its commit is missing or damaged
(a damaged DONE says so itself: it is only ever written by a success) is **damaged**:
its artifacts cannot be trusted, so no reader shows it as succeeded (and resume runs it
again). A run recorded as succeeded with a damaged task is damaged too
(:func:`run_state`): ``dflow runs``, ``dflow show``, the client's ``Run.state`` and the
report all say so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dflow.errors import ArtifactCorruptError, NotCommittedError, RecordNotFoundError
from dflow.store.attempts import AttemptInfo
from dflow.store.refs import TaskAddress

DAMAGED = "damaged"


def commit_damage(store: Any, t: TaskAddress, attempt: int) -> str | None:
    """Why attempt ``attempt`` of ``t`` has no sound commit, or None when it has one."""
    try:
        store.manifest(t, attempt)
    except NotCommittedError:
        return "its DONE marker is missing"
    except ArtifactCorruptError as exc:
        return exc.message
    return None


def attempt_state(store: Any, t: TaskAddress, attempt: int, info: AttemptInfo | None) -> str:
    """The attempt's status from its record (``info``), or "damaged" for a broken success."""
    return state_from(info, lambda: commit_damage(store, t, attempt))


def state_from(info: AttemptInfo | None, damage: Callable[[], str | None]) -> str:
    """The status the attempt record ``info`` gives ("running" without one), or "damaged"
    when it says succeeded and ``damage()`` (called only then) names what is wrong with
    the commit."""
    status = info.status if info is not None else "running"
    if status == "succeeded" and damage() is not None:
        return DAMAGED
    return status


def run_state(status: str, damaged: Callable[[], Mapping[str, str]]) -> str:
    """A run's state: its recorded ``status``, or "damaged" when that is "succeeded" and
    ``damaged()`` (called only then) names a damaged task.

    >>> run_state("succeeded", lambda: {"fit/3": "its DONE marker is missing"})
    'damaged'
    >>> run_state("failed", lambda: {"fit/3": "its DONE marker is missing"})
    'failed'
    """
    if status == "succeeded" and damaged():
        return DAMAGED
    return status


def step_state(counts: Mapping[str, int]) -> str:
    """A step's state from how many of its tasks are in each state: "failed" when one
    failed, else "damaged" when one is, else "running" when one runs, "succeeded" when
    it has tasks and all succeeded, else "waiting" (no task yet). What ``dflow show``,
    reports and the dashboard page draw a step as.

    >>> step_state({"succeeded": 9, "running": 1})
    'running'
    >>> step_state({"succeeded": 9, "damaged": 1, "failed": 0})
    'damaged'
    >>> step_state({}), step_state({"succeeded": 3})
    ('waiting', 'succeeded')
    """
    for state in ("failed", DAMAGED, "running"):
        if counts.get(state):
            return state
    total = sum(counts.values())
    return "succeeded" if total and counts.get("succeeded", 0) == total else "waiting"


def _task_damage(store: Any, t: TaskAddress, attempt: int, names: set[str]) -> str | None:
    """Why task ``t``'s latest ``attempt`` (holding files ``names``) is damaged, or None.

    As :func:`attempt_state` decides, with fewer reads: a commit is verified only where a
    DONE marker is listed, and a record is read only where the commit is not sound (a
    damaged DONE reads as a success: it was written by one, see
    :meth:`~dflow.store.records.RunRecords.read_attempt_record`).
    """
    if "DONE" in names:
        why = commit_damage(store, t, attempt)
        if why is None:
            return None  # committed and sound
    elif "record.json" not in names:
        return None  # never finished (running or interrupted): not a broken success
    else:
        why = "its DONE marker is missing"
    try:
        info = AttemptInfo.from_dict(store.read_attempt_record(t, attempt), attempt)
    except RecordNotFoundError:
        return None
    return why if state_from(info, lambda: why) == DAMAGED else None


def run_damage(records: Any, flow: str, run_id: str) -> dict[str, str]:
    """Every damaged task of run ``flow/run_id`` (its latest attempt says succeeded, its
    commit is missing or damaged): ``{"step/task_id": why}``, sorted.

    ``records`` reads through a run snapshot (:meth:`~dflow.store.Store.run_snapshot`):
    one listing of the run, then each task's DONE from the task index, where the files
    the index does not answer are read a step at a time, concurrently. A task costs no
    round trip of its own, so the tasks are checked in turn.
    """
    found = records.latest_attempts(flow, run_id).items()
    latest = sorted(found, key=lambda item: (item[0].step, item[0].task_id))
    why = [_task_damage(records, t, *attempt_files) for t, attempt_files in latest]
    return {
        f"{t.step}/{t.task_id}": w for (t, _), w in zip(latest, why, strict=True) if w is not None
    }
