"""Artifacts of a task: :class:`DataArtifact`, and the lazy ``task.data`` / ``task.artifacts``.

Nothing is loaded until asked: ``task.data.x`` loads one value; ``artifact.dask_array()``,
``artifact.dask_dataframe()``, ``artifact.to_delayed()`` and ``artifact.zarr()`` open a
large array or frame without reading its chunks; ``artifact.meta`` / ``describe()`` tell
its shape, dtype, columns and rows from the manifest alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dflow.client.base import DflowObject, UnknownAttributeError
from dflow.client.context import ClientContext
from dflow.client.preview import MAX_PREVIEW_CHARS, preview_value
from dflow.store import ArtifactRef

if TYPE_CHECKING:
    from dflow.client.tasks import Task

_UNLOADED = object()


class DataArtifact(DflowObject):
    """One artifact of a task: its reference in the store, and its value on demand.

    Example, for a run in the store::

        art = Task("TrainFlow/1700000000000000/fit/3").artifacts.score
        art.data, art.sha, art.size, art.type, art.encoding
    """

    _kind = "artifact"
    _parent_kind = "task"

    def __init__(
        self,
        pathspec: str,
        context: ClientContext | None = None,
        *,
        _ref: ArtifactRef | None = None,
        _task: Task | None = None,
    ) -> None:
        super().__init__(pathspec, context)
        self._task: Task = self._parent_from_pathspec() if _task is None else _task
        self._ref = _ref if _ref is not None else self._task._artifact_ref(self.id)
        self._value: Any = _UNLOADED

    @property
    def parent(self) -> Task:
        """The task that holds this artifact."""
        return self._task

    @property
    def ref(self) -> ArtifactRef:
        """The store reference (key, encoding, size, type)."""
        return self._ref

    @property
    def data(self) -> Any:
        """The value, loaded (once) from the store. Large arrays: see :meth:`dask_array`."""
        if self._value is _UNLOADED:
            self._value = self.store.load(self._ref, name=self.pathspec)
        return self._value

    @property
    def sha(self) -> str:
        """The content key: xxh3-128 hex digest of the serialized bytes."""
        return self._ref.key

    @property
    def size(self) -> int:
        """Serialized size in bytes (for a zarr array, its raw size)."""
        return self._ref.size

    @property
    def type(self) -> str:
        """The value's qualified type name, e.g. ``"numpy.ndarray"``."""
        return self._ref.type_name

    @property
    def encoding(self) -> str:
        """How it is stored: ``"msgpack"``, ``"zarr"``, ``"dask-zarr"``, ``"parquet"``,
        ``"arrow"``, ``"dask-parquet"``, ``"xarray"`` or ``"pickle"`` (see
        :mod:`dflow.store.codecs`)."""
        return self._ref.encoding

    @property
    def meta(self) -> dict[str, Any]:
        """What the store recorded about the value (shape, dtype, chunks, columns, rows,
        partitions, or why it was pickled); ``{}`` when nothing was recorded."""
        return dict(self._ref.meta or {})

    def describe(self) -> str | None:
        """A one-line description from :attr:`meta` (nothing is loaded), or None."""
        return self._ref.describe()

    def preview(self, width: int = MAX_PREVIEW_CHARS) -> str:
        """A one-line preview that reads little and never unpickles (the one ``dflow dump``
        and a run report show: :func:`dflow.client.preview.preview_value`)."""
        return preview_value(self.store, self._ref, self.pathspec, width=width)

    @property
    def is_array(self) -> bool:
        """True when stored as a zarr array (numpy or dask), so it can be opened lazily."""
        return self._ref.encoding in ("zarr", "dask-zarr")

    def zarr(self) -> Any:
        """The zarr array, read-only; chunks are read (and checked) only when indexed."""
        return self.store.open_array(self._ref, name=self.pathspec)

    def dask_array(self) -> Any:
        """A lazy ``dask.array`` over a stored array (``zarr`` or ``dask-zarr``): nothing is
        read until computed, then only the chunks touched. StoreError for other encodings."""
        return self.store.load_dask_array(self._ref, name=self.pathspec)

    def dask_dataframe(self) -> Any:
        """A lazy ``dask.dataframe`` over a stored frame (``dask-parquet``: one partition per
        stored partition, divisions kept; ``arrow``: one partition). StoreError otherwise."""
        return self.store.load_dask_dataframe(self._ref, name=self.pathspec)

    def to_delayed(self) -> Any:
        """The stored chunks (an array of ``dask.delayed``) or partitions (a list), read
        when computed; an ``arrow`` frame is one delayed. StoreError for other encodings."""
        return self.store.load_delayed(self._ref, name=self.pathspec)

    @property
    def created_at(self) -> datetime | None:
        """When the task that holds the artifact finished."""
        return self._task.finished_at

    @property
    def finished_at(self) -> datetime | None:
        """Same as :attr:`created_at` (Metaflow's name)."""
        return self.created_at

    def _summary(self) -> dict[str, Any]:
        return {"type": self.type, "encoding": self.encoding, "size": self.size, "sha": self.sha}

    def __repr__(self) -> str:
        return f"DataArtifact('{self.pathspec}', type={self.type}, size={self.size})"


class TaskData:
    """``task.data``: artifacts as attributes, each loaded on first access.

    Parameters of the run are visible too (as in a step), after the task's own artifacts.
    """

    def __init__(self, task: Task) -> None:
        self.__dict__["_task"] = task
        self.__dict__["_cache"] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        cache = self.__dict__["_cache"]
        if name not in cache:
            cache[name] = self._task._artifact(name).data
        return cache[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._task._artifact_names()

    def __dir__(self) -> list[str]:
        return sorted(self._task._artifact_names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._task._artifact_names())

    def __repr__(self) -> str:
        return f"<data of {self._task.pathspec}: {', '.join(self._task._artifact_names())}>"


class ArtifactSet:
    """``task.artifacts``: :class:`DataArtifact` objects by attribute, name or iteration."""

    def __init__(self, task: Task) -> None:
        self._task = task

    def __getattr__(self, name: str) -> DataArtifact:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._task._artifact(name)

    def __getitem__(self, name: str) -> DataArtifact:
        return self._task._artifact(name, key_error=True)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._task._artifact_names()

    def __iter__(self) -> Iterator[DataArtifact]:
        return (self._task._artifact(n) for n in self._task._artifact_names())

    def __len__(self) -> int:
        return len(self._task._artifact_names())

    def __dir__(self) -> list[str]:
        return sorted(self._task._artifact_names())

    def __repr__(self) -> str:
        return f"<artifacts of {self._task.pathspec}: {', '.join(self._task._artifact_names())}>"


__all__ = ["ArtifactSet", "DataArtifact", "TaskData", "UnknownAttributeError"]
