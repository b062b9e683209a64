"""The codec registry: one plug point for every way a value is stored.

A :class:`Codec` turns one kind of value into stored objects and back. Codecs are
registered by name (the ``encoding`` an :class:`~dflow.store.refs.ArtifactRef` records)
with the import path of their class, and imported only when a value of theirs comes by
(``import dflow.store`` imports no pandas, pyarrow, dask or xarray).

Saving tries the codecs in registration order and keeps the first that accepts the value
(:func:`save_value`); a codec registered with ``modules`` is asked only about values whose
type comes from one of those top-level modules, so nothing is imported for a plain
``dict``. A codec that accepts a value but finds it cannot store it exactly raises
:class:`Declined` with the reason; the next codec is tried, and a value that ends as a
pickle records the reasons in its reference's ``meta["reason"]``. Loading dispatches on
the reference's encoding (:func:`codec_for`); an unknown one is a StoreError.

The built-in order: ``dask-zarr`` (dask arrays), ``dask-parquet`` (dask dataframes and
series), ``parquet`` (pandas frames and series, pyarrow tables; ``arrow``, Arrow IPC, for
those Parquet would not give back exactly), ``xarray`` (Datasets and
DataArrays, variable by variable; asked only when xarray made the value), ``zarr`` (large numpy
arrays), ``msgpack`` (plain data) and ``pickle`` (everything else). Any other dask
collection (``dask.delayed``, bags, 0-d arrays) is computed first and its result saved:
an artifact is a snapshot, never a graph to recompute.

>>> codec_for("msgpack").name
'msgpack'
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dflow.errors import StoreError
from dflow.store.refs import ArtifactRef, what

if TYPE_CHECKING:
    from dflow.store.store import Store


class Declined(Exception):
    """Raised by :meth:`Codec.save` when a value it accepted cannot be stored exactly."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "declined")
        self.reason = reason


class Codec:
    """Contract of a codec: how one kind of value is stored and read back.

    - ``name``: the encoding recorded in references (registered under it).
    - :meth:`accepts` is cheap (a type check, no data read).
    - :meth:`save` stores the value (through the store's blobs or its own files, every
      write content-addressed and write-once: nothing visible before it is complete)
      and returns its reference; it may raise :class:`Declined`.
    - :meth:`load` returns the value (or a lazy collection over it); errors name the
      artifact ``name`` and are ArtifactCorruptError for damaged data.
    - The views (:meth:`dask_array`, :meth:`dask_dataframe`, :meth:`to_delayed`) return
      lazy Dask objects over the stored data; a codec without the view raises a
      StoreError saying so (the default).
    - ``trusted_only``: loading can run code, so a store opened untrusted refuses it.
    """

    name: str = ""
    trusted_only: bool = False

    def accepts(self, value: Any) -> bool:
        """True if this codec stores values like ``value``."""
        raise NotImplementedError

    def save(self, store: Store, value: Any) -> ArtifactRef:
        """Store ``value``; return its reference (or raise :class:`Declined`)."""
        raise NotImplementedError

    def load(self, store: Store, ref: ArtifactRef, name: str) -> Any:
        """Read the value ``ref`` points to."""
        raise NotImplementedError

    def dask_array(self, store: Store, ref: ArtifactRef, name: str) -> Any:
        """A lazy ``dask.array`` over the stored value."""
        raise no_view(ref, name, "a dask array", "use .data to load it")

    def dask_dataframe(self, store: Store, ref: ArtifactRef, name: str) -> Any:
        """A lazy ``dask.dataframe`` over the stored value."""
        raise no_view(ref, name, "a dask dataframe", "use .data to load it")

    def to_delayed(self, store: Store, ref: ArtifactRef, name: str) -> Any:
        """The stored value's chunks or partitions as ``dask.delayed`` objects."""
        raise no_view(ref, name, "dask.delayed pieces", "use .data to load it")


def no_view(ref: ArtifactRef, name: str, view: str, hint: str) -> StoreError:
    """The error for a view an encoding does not offer."""
    return StoreError(
        f"{what(ref.key, name)} is stored as {ref.encoding} ({ref.type_name}), which has no "
        f"view as {view}",
        hint=hint,
    )


def type_name(value: Any) -> str:
    """``"module.QualName"`` of a value's type, e.g. ``"builtins.dict"``."""
    t = type(value)
    return f"{t.__module__}.{t.__qualname__}"


@dataclass
class _Entry:
    name: str
    target: str  # "module:Class"
    modules: tuple[str, ...]
    codec: Codec | None = None

    def get(self) -> Codec:
        if self.codec is None:
            module, _, cls = self.target.partition(":")
            self.codec = getattr(importlib.import_module(module), cls)()
        return self.codec


_REGISTRY: dict[str, _Entry] = {}


def register(name: str, target: str, *, modules: tuple[str, ...] = ()) -> None:
    """Register the codec class at ``target`` (``"module:Class"``) as encoding ``name``.

    ``modules``: top-level modules whose values it may accept (``()``: any value). Codecs
    are tried in registration order; re-registering a name replaces it in place.
    """
    _REGISTRY[name] = _Entry(name, target, tuple(modules))


register("dask-zarr", "dflow.store.dask_arrays:DaskArrayCodec", modules=("dask",))
register("dask-parquet", "dflow.store.dask_frames:DaskFrameCodec", modules=("dask",))
register("parquet", "dflow.store.frames:ParquetCodec", modules=("pandas", "pyarrow"))
register("arrow", "dflow.store.frames:ArrowCodec", modules=("pandas", "pyarrow"))
register("xarray", "dflow.store.xarrays:XarrayCodec", modules=("xarray",))
register("zarr", "dflow.store.zarr_codec:ZarrCodec", modules=("numpy",))
register("msgpack", "dflow.store.plain_codecs:MsgpackCodec")
register("pickle", "dflow.store.plain_codecs:PickleCodec")


def encodings() -> list[str]:
    """The registered encodings, in the order :func:`save_value` tries them."""
    return list(_REGISTRY)


def codec_for(encoding: str, *, key: str = "", name: str = "") -> Codec:
    """The codec registered as ``encoding``; StoreError if there is none."""
    entry = _REGISTRY.get(encoding)
    if entry is None:
        raise StoreError(
            f"{what(key, name) if key else 'a value'} has an unknown encoding {encoding!r} "
            f"(known: {', '.join(_REGISTRY)})",
            hint="it was written by a newer dflow or a plug-in codec: read it with that one",
        )
    return entry.get()


def _top_module(value: Any) -> str:
    return type(value).__module__.partition(".")[0]


def _materialized(value: Any) -> Any:
    """A dask collection no codec stores as data (delayed, bag) computed to its result."""
    if _top_module(value) != "dask":
        return value
    import dask
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(value, da.Array) and value.ndim > 0:
        return value
    if isinstance(value, dd.DataFrame | dd.Series) or not dask.is_dask_collection(value):
        return value
    (result,) = dask.compute(value)
    return result


def save_value(store: Store, value: Any) -> ArtifactRef:
    """Store ``value`` with the first codec that accepts it (see the module docstring)."""
    value = _materialized(value)
    top = _top_module(value)
    reasons: list[str] = []
    for entry in _REGISTRY.values():
        if entry.modules and top not in entry.modules:
            continue
        codec = entry.get()
        if not codec.accepts(value):
            continue
        try:
            ref = codec.save(store, value)
        except Declined as exc:
            if exc.reason:
                reasons.append(exc.reason)
            continue
        if reasons:
            ref = dataclasses.replace(ref, meta={**(ref.meta or {}), "reason": "; ".join(reasons)})
        return ref
    raise StoreError(f"no codec can store a value of type {type_name(value)}")  # pragma: no cover


def load_value(store: Store, ref: ArtifactRef, name: str = "") -> Any:
    """Load the value ``ref`` points to, with the codec of its encoding."""
    return codec_for(ref.encoding, key=ref.key, name=name).load(store, ref, name)
