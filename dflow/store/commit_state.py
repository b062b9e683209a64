"""A task attempt's state, as every reader shows it (client, ``dflow show``, report).

An attempt record says what the task runner saw ("succeeded", "failed", "running"), but
only the commit (the DONE marker and the manifest it names) makes a success readable. An
attempt whose record says "succeeded" while its DONE or manifest is missing or damaged is
**damaged**: its artifacts cannot be trusted, so no reader shows it as succeeded (and
resume runs it again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dflow.errors import ArtifactCorruptError, NotCommittedError
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


def attempt_state(store: Any, t: TaskAddress, attempt: int, record: Mapping | None) -> str:
    """The attempt's status from its ``record``, or "damaged" for a broken success."""
    return state_from(record, lambda: commit_damage(store, t, attempt))


def state_from(record: Mapping | None, damage: Callable[[], str | None]) -> str:
    """The status ``record`` gives, or "damaged" when it says succeeded and ``damage()``
    (called only then) names what is wrong with the commit."""
    status = str((record or {}).get("status", "running"))
    if status == "succeeded" and damage() is not None:
        return DAMAGED
    return status
