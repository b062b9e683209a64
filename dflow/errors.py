"""Typed errors.

Every error dflow raises on purpose is a :class:`DflowError`. Its message says what
happened, what was expected and what to do; the CLI prints it as one sentence and exits
non-zero, without a traceback from dflow's internals.
"""

from __future__ import annotations


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


class CaughtException(Exception):
    """What ``@catch(var="e")`` stores in ``self.e`` when the step failed (Metaflow's
    MetaflowExceptionWrapper): ``.type`` (``"builtins.ValueError"``), ``.exception`` (the
    message), ``.message`` (the same) and ``.stacktrace`` (the user's traceback).
    ``str()`` is the traceback, as in Metaflow.
    """

    def __init__(self, type: str, message: str, traceback: str | None) -> None:
        super().__init__(type, message, traceback)
        self.type = type
        self.exception = message
        self.message = message
        self.stacktrace = traceback
        self.traceback = traceback

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
