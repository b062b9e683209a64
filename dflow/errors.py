"""Typed errors.

Every error dflow raises on purpose is a :class:`DflowError`. Its message says what
happened, what was expected and what to do; the CLI prints it as one sentence and exits
non-zero, without a traceback from dflow's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


class DflowError(Exception):
    """Base class of every error dflow raises on purpose.

    ``hint`` is an optional short suggestion printed after the message.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


@dataclass(frozen=True)
class ErrorRecord:
    """A failure as dflow records and shows it: the one error record of every layer.

    ``type`` is the exception's class (``"ValueError"``, ``"mypkg.MyError"``: builtins and
    ``__main__`` unqualified), ``message`` its text, ``traceback`` the user's own traceback
    (frames of dflow and Dask removed). A run's error also names the failed ``task``
    (pathspec) and its ``attempt``; ``caught`` marks what ``@catch`` caught (it is told by
    the record's key, ``"caught"`` or ``"error"``, and not written). On disk (attempt and
    run records) and in scheduler events it is the JSON object of :meth:`to_dict`.
    ``.exception`` and ``.stacktrace`` are Metaflow's names for message and traceback.

    >>> rec = ErrorRecord.from_dict({"type": "ValueError", "message": "odd 1", "traceback": ""})
    >>> str(rec), rec.exception
    ('ValueError: odd 1', 'odd 1')
    >>> ErrorRecord("KeyError", "'x'", task="F/1/start/0", attempt=0).to_dict()["task"]
    'F/1/start/0'
    """

    type: str
    message: str
    traceback: str = ""
    task: str | None = None
    attempt: int | None = None
    caught: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, caught: bool = False) -> ErrorRecord:
        """Read the JSON form (missing fields read as empty), as :meth:`to_dict` writes it."""
        attempt = data.get("attempt")
        return cls(
            type=str(data.get("type") or ""),
            message=str(data.get("message") or ""),
            traceback=str(data.get("traceback") or ""),
            task=None if data.get("task") is None else str(data["task"]),
            attempt=attempt if isinstance(attempt, int) else None,
            caught=caught,
        )

    @classmethod
    def read(cls, data: Any, *, caught: bool = False) -> ErrorRecord | None:
        """The record in ``data`` (a record's ``"error"``/``"caught"`` value), or None when
        there is none (missing, empty or not a JSON object)."""
        return cls.from_dict(data, caught=caught) if isinstance(data, dict) and data else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: type, message, traceback, plus task and attempt when known."""
        out: dict[str, Any] = {}
        if self.task is not None:
            out["task"] = self.task
        if self.attempt is not None:
            out["attempt"] = self.attempt
        out.update(type=self.type, message=self.message, traceback=self.traceback)
        return out

    def at(self, task: str, attempt: int | None) -> ErrorRecord:
        """This error as the failure of ``task`` (pathspec) at ``attempt``."""
        return replace(self, task=task, attempt=attempt)

    def capped(self, chars: int) -> ErrorRecord:
        """A copy whose message (its start) and traceback (its end) hold at most ``chars``."""
        return replace(self, message=self.message[:chars], traceback=self.traceback[-chars:])

    @property
    def headline(self) -> str:
        """``type: first line of the message``, for one-line summaries."""
        first = self.message.strip().splitlines()
        return f"{self.type or 'Error'}: {first[0] if first else ''}"

    @property
    def exception(self) -> str:
        """The message (Metaflow's name)."""
        return self.message

    @property
    def stacktrace(self) -> str:
        """The traceback (Metaflow's name)."""
        return self.traceback

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


class CaughtException(Exception):
    """What ``@catch(var="e")`` stores in ``self.e`` when the step failed (Metaflow's
    MetaflowExceptionWrapper), an exception over an :class:`ErrorRecord`: ``.type``
    (``"builtins.ValueError"``: Metaflow qualifies every type), ``.exception`` (the
    message), ``.message`` (the same), ``.stacktrace`` (the user's traceback) and
    ``.record``. ``str()`` is the traceback, as in Metaflow.

    >>> e = CaughtException("builtins.ValueError", "odd 1", None)
    >>> e.type, e.exception, e.record.message
    ('builtins.ValueError', 'odd 1', 'odd 1')
    """

    def __init__(self, type: str, message: str, traceback: str | None) -> None:
        super().__init__(type, message, traceback)
        self.type = type
        self.exception = message
        self.message = message
        self.stacktrace = traceback
        self.traceback = traceback

    @classmethod
    def from_record(cls, record: ErrorRecord, *, type: str | None = None) -> CaughtException:
        """The @catch value of ``record`` (``type``: the qualified class name, if known)."""
        return cls(type or record.type, record.message, record.traceback or None)

    @property
    def record(self) -> ErrorRecord:
        """This failure as dflow's :class:`ErrorRecord`."""
        return ErrorRecord(self.type, self.message, self.traceback or "", caught=True)

    def __reduce__(self):
        return (CaughtException, (self.type, self.exception, self.stacktrace))

    def __repr__(self) -> str:
        return f"CaughtException({self.type}: {self.exception})"

    def __str__(self) -> str:
        if self.stacktrace:
            return self.stacktrace
        return f"[no stacktrace]\n{self.type}: {self.exception}"


class ConfigError(DflowError):
    """A configuration value (environment variable, dask config, argument) is invalid."""


class FlowDefinitionError(DflowError):
    """A flow class cannot run: its graph failed lint.

    ``problems`` holds every problem found (objects with ``file``, ``line``,
    ``message`` and ``hint``), so that all of them are reported at once.
    """

    def __init__(self, message: str, problems: list | tuple = (), *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.problems = list(problems)

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        return "\n".join(str(p) for p in self.problems)


class FlowLoadError(DflowError):
    """A flow file cannot be imported, or holds no (or more than one) FlowSpec class."""


class ParameterError(DflowError):
    """A parameter value is missing or does not fit the parameter's type."""


class StoreError(DflowError):
    """The store cannot be opened, read or written."""


class StoreIOError(StoreError):
    """A store operation failed (unreachable endpoint, timeout, missing bucket, denied).

    ``operation`` names what was being done (``"read"``, ``"write"``...) and ``cause``
    says why, in words a user can act on (see :mod:`dflow.store.failures`).
    """

    def __init__(
        self, message: str, *, hint: str | None = None, operation: str = "", cause: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.operation, self.cause = operation, cause


class BackendMissingError(StoreError):
    """The fsspec backend for a store URL is not installed."""


class ArtifactNotFoundError(StoreError):
    """An object the store should hold is missing."""


class ArtifactCorruptError(StoreError):
    """An object's bytes do not match its content key (corrupt or truncated)."""


class PickleRefusedError(StoreError):
    """A reader opened as untrusted was asked to unpickle an artifact."""


class NotCommittedError(StoreError):
    """A task attempt has no DONE marker: its artifacts cannot be trusted."""


class ArtifactUnreadableError(StoreError):
    """A stored pickle cannot be loaded here: a module or class it needs is not importable."""


class ReadOnlyStoreError(StoreError):
    """A store opened with ``writable=False`` was asked to write."""


class ArtifactSaveError(DflowError):
    """A step set an artifact that cannot be stored (it cannot be pickled)."""


class ObjectNotFoundError(DflowError):
    """An unknown flow, run, step, task or artifact was asked for (client API, CLI)."""


class NamespaceMismatchError(DflowError):
    """A run exists but is outside the client's current namespace (Metaflow's
    MetaflowNamespaceMismatch); ``dflow.client.namespace(None)`` sees every run."""


class MergeArtifactsError(DflowError):
    """``merge_artifacts`` cannot merge: inputs disagree on some artifacts, or ``include``
    names artifacts no input has. ``artifact_names`` lists them (Metaflow's
    UnhandledInMergeArtifactsException / MissingInMergeArtifactsException)."""

    def __init__(self, message: str, artifact_names=(), *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.artifact_names = list(artifact_names)


class UnhandledInMergeArtifactsError(MergeArtifactsError):
    """Inputs of a join disagree on artifacts the join did not set or exclude."""


class MissingInMergeArtifactsError(MergeArtifactsError):
    """``merge_artifacts(include=...)`` names artifacts no input has."""


class StepTimeoutError(DflowError):
    """A step ran longer than its @timeout allows (Metaflow's TimeoutException)."""


class RecordNotFoundError(StoreError, ObjectNotFoundError):
    """A run or attempt record the store was asked for does not exist."""


class ResourceUnavailableError(DflowError):
    """A step requests a resource that no worker of the cluster offers."""


class SchedulerError(DflowError):
    """The Dask scheduler cannot be reached or set up."""


class ClusterError(DflowError):
    """``dflow cluster`` could not start, find or stop a cluster."""
