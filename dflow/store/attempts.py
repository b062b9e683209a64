"""The attempt record (``record.json`` of an attempt): one type for what an attempt was.

The engine writes it when an attempt ends (run, caught by ``@catch``, or reused by
resume); the client, the report and ``dflow show`` read it back. Its JSON keeps the
layout every store already holds: ``attempt``, ``status``, ``started_at``,
``finished_at``, ``duration``, where it ran (``host``, ``pid``, ``worker``,
``worker_name``), its place in the flow (``parents``, ``foreach_stack``, and
``iteration`` for a step in a loop), and
``error``/``caught`` (:class:`~dflow.errors.ErrorRecord`) or ``origin`` (the task
resume reused). Keys of other layouts are kept as they were (``extra``).

>>> info = AttemptInfo(attempt=0, started_at=10.0, host="h", pid=7, parents=("start/0",))
>>> done = info.finished(12.5)
>>> done.status, done.duration, done.where
('succeeded', 2.5, 'h pid 7')
>>> AttemptInfo.from_dict(done.to_dict()) == done
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from dflow.errors import ErrorRecord

_ERRORS = ("error", "caught")


@dataclass(frozen=True)
class AttemptInfo:
    """One attempt of a task, as its attempt record holds it (``status``: "running",
    "succeeded" or "failed"; None fields are unknown and not written)."""

    attempt: int
    status: str = "running"
    started_at: float | None = None
    finished_at: float | None = None
    duration: float | None = None
    host: str | None = None
    pid: int | None = None
    worker: str | None = None
    worker_name: str | None = None
    parents: tuple[str, ...] | None = None
    foreach_stack: tuple | None = None
    iteration: tuple[int, ...] | None = None  # the pass through each loop (steps in loops)
    error: ErrorRecord | None = None
    caught: ErrorRecord | None = None
    origin: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], attempt: int | None = None) -> AttemptInfo:
        """Read a stored attempt record (``attempt``: the number, if the record lacks it)."""
        known = {f.name for f in fields(cls)} - {"extra"}
        values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        values["attempt"] = int(data.get("attempt", attempt if attempt is not None else 0))
        values["status"] = str(data.get("status") or "running")
        for name in ("parents", "foreach_stack", "iteration"):
            if values.get(name) is not None:
                values[name] = tuple(values[name])
        values["error"] = ErrorRecord.read(data.get("error"))
        values["caught"] = ErrorRecord.read(data.get("caught"), caught=True)
        extra = {k: v for k, v in data.items() if k not in known and k != "layout"}
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (what :meth:`from_dict` reads), without the store's ``layout``."""
        out: dict[str, Any] = dict(self.extra)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "extra" or (value is None and f.name not in ("worker", "worker_name")):
                continue
            if f.name in _ERRORS:
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def finished(self, at: float, error: ErrorRecord | None = None) -> AttemptInfo:
        """This attempt ended at ``at``: succeeded, or failed with ``error``."""
        return replace(
            self,
            finished_at=at,
            duration=at - self.started_at if self.started_at is not None else None,
            status="failed" if error is not None else "succeeded",
            error=error,
        )

    @property
    def where(self) -> str:
        """Where it ran, as a person reads it: the Dask worker's name (as the dashboard
        shows it), else its address, else host and pid (an in-process run)."""
        if self.worker_name:
            return f"worker {self.worker_name}"
        if self.worker:
            return self.worker.split("://", 1)[-1]
        return f"{self.host or '?'} pid {self.pid}" if self.pid else (self.host or "unknown")
