"""Short, safe previews of artifacts for a report: type, size and a capped text.

A preview never loads more than :data:`MAX_LOAD_BYTES` of a plain value or
:data:`MAX_FRAME_BYTES` of a frame (larger frames, dask arrays and dask dataframes are
described from their recorded shape, dtype and columns), reads only the first rows of a
zarr array, and never unpickles: a pickled artifact is shown by its type
and size only (a report must be safe to build from a store someone else wrote).
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from dataclasses import dataclass

from dflow.store import ArtifactRef, Store

#: Largest serialized msgpack value that is loaded for a preview.
MAX_LOAD_BYTES = 64 * 1024
#: Largest stored frame (Parquet or Arrow IPC) that is loaded to show its first rows.
MAX_FRAME_BYTES = 4 << 20
#: Longest preview text, in characters.
MAX_PREVIEW_CHARS = 160

_REPR = reprlib.Repr()
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 8
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlevel = 3


@dataclass(frozen=True)
class ArtifactInfo:
    """One artifact of a task: name, type, encoding, size in bytes and a preview text."""

    name: str
    type_name: str
    encoding: str
    size: int
    preview: str


def _cap(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_PREVIEW_CHARS:
        return text[: MAX_PREVIEW_CHARS - 1] + "…"
    return text


def _frame_head(value: object) -> str:
    head = value.slice(0, 3).to_pandas() if hasattr(value, "slice") else value.head(3)
    return " | ".join(" ".join(line.split()) for line in head.to_string().splitlines())


def preview_value(store: Store, ref: ArtifactRef, name: str = "") -> str:
    """A one-line preview of the artifact ``ref`` (never unpickles, reads little)."""
    if ref.encoding == "pickle":
        return f"<pickled {ref.type_name}>"
    if ref.encoding == "zarr":
        arr = store.open_array(ref, name=name)
        head = arr[: min(arr.shape[0], 3)] if arr.ndim else arr[()]
        return _cap(f"array shape={tuple(arr.shape)} dtype={arr.dtype} head={_REPR.repr(head)}")
    if ref.encoding in ("parquet", "arrow") and ref.size <= MAX_FRAME_BYTES:
        return _cap(f"{ref.describe()}; head: {_frame_head(store.load(ref, name=name))}")
    if ref.meta and ref.describe():  # dask arrays and frames, large frames: never read
        return _cap(str(ref.describe()))
    if ref.size > MAX_LOAD_BYTES:
        return f"<{ref.type_name}, {ref.size} bytes: too large to preview>"
    value = store.load(ref, name=name)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return _cap(
            f"array shape={tuple(value.shape)} dtype={value.dtype} {_REPR.repr(value.tolist())}"
        )
    return _cap(_REPR.repr(value))


def describe_artifacts(store: Store, artifacts: Mapping[str, ArtifactRef]) -> list[ArtifactInfo]:
    """ArtifactInfo for every artifact of a manifest, sorted by name."""
    return [
        ArtifactInfo(name, ref.type_name, ref.encoding, ref.size, preview_value(store, ref, name))
        for name, ref in sorted(artifacts.items())
    ]


def human_size(n: int | float | None) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover
