"""Metaflow's exception names, as aliases of dflow's own (``metaflow.exception``).

A flow or notebook that catches ``from metaflow.exception import ...`` ports by changing
the import line; each name is the dflow class that plays its part::

    from dflow.exception import MetaflowNamespaceMismatch, UnhandledInMergeArtifactsException
"""

from __future__ import annotations

from dflow.errors import (
    CaughtException,
    DflowError,
    MergeArtifactsError,
    MissingInMergeArtifactsError,
    NamespaceMismatchError,
    ObjectNotFoundError,
    StepTimeoutError,
    UnhandledInMergeArtifactsError,
)

MetaflowException = DflowError
MetaflowNotFound = ObjectNotFoundError
MetaflowInvalidPathspec = ObjectNotFoundError
MetaflowNamespaceMismatch = NamespaceMismatchError
MetaflowExceptionWrapper = CaughtException
MergeArtifactsException = MergeArtifactsError
UnhandledInMergeArtifactsException = UnhandledInMergeArtifactsError
MissingInMergeArtifactsException = MissingInMergeArtifactsError
TimeoutException = StepTimeoutError

__all__ = [
    "MergeArtifactsException",
    "MetaflowException",
    "MetaflowExceptionWrapper",
    "MetaflowInvalidPathspec",
    "MetaflowNamespaceMismatch",
    "MetaflowNotFound",
    "MissingInMergeArtifactsException",
    "TimeoutException",
    "UnhandledInMergeArtifactsException",
]
