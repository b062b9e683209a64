"""Saving a step's artifacts: a value that cannot be stored fails in one sentence.

``store.save`` pickles what it cannot store as data; an object that cannot be pickled at
all (a generator, a lock, a socket, an open file) raises deep inside cloudpickle. Here
that becomes an :class:`~dflow.errors.ArtifactSaveError` naming the step, the artifact
and its type; store failures (a StoreError) pass on unchanged.
"""

from __future__ import annotations

from typing import Any

from dflow.errors import ArtifactSaveError, DflowError
from dflow.store import ArtifactRef


def save_artifact(store: Any, step: str, name: str, value: Any) -> ArtifactRef:
    """``store.save(value)``, or ArtifactSaveError naming ``step`` and artifact ``name``."""
    try:
        return store.save(value)
    except DflowError:
        raise
    except Exception as exc:  # noqa: BLE001 - cloudpickle's many ways to refuse
        kind = type(value)
        what = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else f"{kind.__module__}.{kind.__qualname__}"
        )
        raise ArtifactSaveError(
            f"step {step!r} cannot store artifact {name!r}: a {what} cannot be pickled "
            f"({type(exc).__name__}: {exc})",
            hint=f"keep it in a local variable instead of self.{name}, or store the data it holds",
        ) from None
