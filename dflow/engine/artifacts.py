"""Artifacts inside a running task: lazy loading, join inputs, merging and persisting.

A task starts from its parent's artifact table (name -> ArtifactRef), inherited by
reference: nothing is loaded until the step reads ``self.x``. After the step, every
public attribute it holds is saved (content addressing makes an unchanged value cost a
hash, never a second copy) and the table of the task is the inherited one updated with
those. A lazy Dask collection the step read and left as it was (the same object, the
same Dask token) keeps its reference instead (:func:`reused_ref`): hashing it again
would read every chunk back from the store and write it again.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from dflow.errors import DflowError, MissingInMergeArtifactsError, UnhandledInMergeArtifactsError
from dflow.flowspec import RESERVED_NAMES, TaskContext


class ArtifactTable:
    """The artifacts a task can see: name -> ref, loaded lazily from the store."""

    def __init__(self, store, refs: Mapping[str, Any], *, owner: str = "") -> None:
        self.store = store
        self.refs = dict(refs)
        self.owner = owner  # a pathspec, for error messages

    def load(self, name: str) -> Any:
        """Load one artifact; AttributeError if the table has no such name."""
        ref = self.refs.get(name)
        if ref is None:
            raise AttributeError(f"{self.owner or 'this task'} has no artifact {name!r}")
        return self.store.load(ref, name=f"{self.owner}:{name}" if self.owner else name)


class EngineTaskContext(TaskContext):
    """The task context the engine gives a flow instance: the base, plus the store and the
    task's foreach frames, and the engine's ``merge_artifacts`` and ``foreach_stack``."""

    def __init__(self, store, frames: Sequence[dict] = ()) -> None:
        super().__init__()
        self.store = store
        self.frames = list(frames)
        #: name -> (ref, value, Dask token) of the lazy collections the step loaded
        self.loaded: dict[str, tuple[Any, Any, str]] = {}

    def merge_artifacts(
        self, flow: Any, inputs: Iterable[Any], include: Any = None, exclude: Any = None
    ) -> None:
        """Adopt the artifacts the join's inputs agree on (:func:`merge_artifacts`)."""
        merge_artifacts(flow, inputs, include=include, exclude=exclude)

    def foreach_stack(self, flow: Any) -> list[tuple[int, int, Any]]:
        """``(index, num_splits, value)`` per enclosing foreach, outermost first."""
        return [(f["index"], f["count"], load_frame_item(self.store, f)) for f in self.frames]


def make_loader(flow, table: ArtifactTable, params: ArtifactTable, task: TaskContext):
    """The task context's ``loader`` for a flow instance: artifacts, merged ones, then
    parameters.

    A loaded artifact is kept on the instance (as Metaflow does), so it is loaded once and
    in-place changes to it are persisted with the task. Artifacts a join adopted with
    ``merge_artifacts`` are readable at once; parameter values are loaded once per task.

    The loader holds the flow instance weakly (it is only called through the instance,
    which holds it as ``_dflow_task.loader``): a strong reference would make the pair a
    cycle, and the values a finished task set (a 512 MiB array) would live on until the
    cyclic garbage collector ran, beside the next task's.
    """
    param_values: dict[str, Any] = {}
    flow_ref = weakref.ref(flow)

    def loader(name: str) -> Any:
        merged = task.merged
        if name in table.refs or name in merged:
            ref = merged.get(name) or table.refs[name]
            value = table.store.load(ref, name=f"{table.owner}:{name}" if table.owner else name)
            flow_ref().__dict__[name] = value
            token = _dask_token(value)
            if token is not None and hasattr(task, "loaded"):
                task.loaded[name] = (ref, value, token)
            return value
        if name in params.refs:
            if name not in param_values:
                param_values[name] = params.load(name)
            return param_values[name]
        raise AttributeError(
            f"step has no artifact {name!r}: it was not set by this step or any step before it"
        )

    return loader


class InputView:
    """One input of a join step: its artifacts are read as attributes, lazily.

    In the join of a foreach, ``inp.input`` and ``inp.index`` are the item and position
    that input's branch handled (``frame`` is that branch's innermost foreach frame).
    """

    def __init__(self, step: str, table: ArtifactTable, frame: dict | None = None) -> None:
        self.__dict__["_step"] = step
        self.__dict__["_table"] = table
        self.__dict__["_cache"] = {}
        self.__dict__["_frame"] = frame

    def _frame_of(self, what: str) -> dict:
        frame = self.__dict__["_frame"]
        if frame is None:
            raise AttributeError(
                f"input from {self._step!r} has no {what}: it is not inside a foreach"
            )
        return frame

    @property
    def input(self) -> Any:
        """The foreach item this input's branch handled."""
        frame = self._frame_of("input")
        cache = self.__dict__["_cache"]
        if "\0input" not in cache:
            cache["\0input"] = load_frame_item(self._table.store, frame)
        return cache["\0input"]

    @property
    def index(self) -> int:
        """The foreach position this input's branch handled."""
        return self._frame_of("index")["index"]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        cache = self.__dict__["_cache"]
        if name not in cache:
            cache[name] = self.__dict__["_table"].load(name)
        return cache[name]

    def __setattr__(self, name: str, value: Any) -> None:
        raise DflowError(
            f"inputs of a join are read-only (tried to set {name!r} on input from {self._step!r})",
            hint="set the value on self instead",
        )

    def __repr__(self) -> str:
        return f"<input {self._table.owner or self._step}>"


class Inputs(Sequence):
    """The ``inputs`` argument of a join step: iterate, index, or ``inputs.<step>``."""

    def __init__(self, views: Sequence[InputView]) -> None:
        self._views = list(views)

    def __getitem__(self, index):
        return self._views[index]

    def __len__(self) -> int:
        return len(self._views)

    def __iter__(self) -> Iterator[InputView]:
        return iter(self._views)

    def __getattr__(self, name: str) -> InputView:
        if name.startswith("_"):
            raise AttributeError(name)
        for view in self._views:
            if view._step == name:
                return view
        steps = sorted({v._step for v in self._views})
        raise AttributeError(f"this join has no input from step {name!r} (inputs: {steps})")


def merge_artifacts(
    flow,
    inputs: Iterable[InputView],
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> None:
    """Adopt, in a join step, the artifacts its inputs agree on (Metaflow semantics).

    An artifact already set in the join step is left alone. One present in several inputs
    with different values is a conflict: an error names every such artifact, unless it is
    excluded (or not included). Values are compared by content key, so nothing is loaded.
    """
    if include and exclude:
        raise DflowError("merge_artifacts takes include= or exclude=, not both")
    include_set = set(include or ())
    exclude_set = set(exclude or ())
    seen: dict[str, Any] = {}
    conflicts: set[str] = set()
    for view in inputs:
        for name, ref in view._table.refs.items():
            if name.startswith("_"):
                continue
            if name in seen and seen[name].key != ref.key:
                conflicts.add(name)
            seen.setdefault(name, ref)
    missing = include_set - set(seen)
    if missing:
        raise MissingInMergeArtifactsError(
            f"merge_artifacts(include=...) names artifacts no input has: {sorted(missing)}",
            sorted(missing),
        )
    adopted = flow._task().merged
    unresolved = []
    for name, ref in seen.items():
        if name in flow.__dict__ or (include_set and name not in include_set):
            continue
        if name in exclude_set:
            continue
        if name in conflicts:
            unresolved.append(name)
            continue
        adopted[name] = ref
    if unresolved:
        raise UnhandledInMergeArtifactsError(
            f"merge_artifacts: inputs disagree on {', '.join(sorted(unresolved))}",
            sorted(unresolved),
            hint="set these in the join step yourself, or pass exclude=[...] for them",
        )


def _dask_token(value: Any) -> str | None:
    """A Dask collection's token (it follows its graph's name), else None."""
    if type(value).__module__.partition(".")[0] != "dask":
        return None
    import dask
    from dask.base import tokenize

    return tokenize(value) if dask.is_dask_collection(value) else None


def reused_ref(task: Any, name: str, value: Any) -> Any:
    """The loaded reference of artifact ``name`` if ``value`` is that lazy collection,
    unchanged (the same object with the same Dask token); else None."""
    found = getattr(task, "loaded", {}).get(name)
    if found is None or found[1] is not value:
        return None
    return found[0] if _dask_token(value) == found[2] else None


def load_frame_item(store, frame: dict) -> Any:
    """The foreach item of one frame of a task's foreach stack, loaded."""
    from dflow.store import ArtifactRef

    return store.load(ArtifactRef.from_dict(frame["item"]), name=f"foreach item {frame['index']}")


def set_artifacts(flow) -> dict[str, Any]:
    """The public attributes a step holds after running: the values to persist."""
    values = {}
    for name, value in flow.__dict__.items():
        if name.startswith("_"):
            continue
        if name in RESERVED_NAMES:
            raise DflowError(f"{name!r} is reserved by FlowSpec and cannot be an artifact")
        values[name] = value
    return values
