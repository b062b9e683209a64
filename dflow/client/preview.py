"""A short, safe preview of an artifact value: the one text that ``dflow dump``'s listing
and a run report show beside an artifact.

A preview never unpickles (a pickle is shown by type and size, as
:func:`dflow.client.trust.unloaded_pickle` says it), never loads more than
:data:`MAX_LOAD_BYTES` of a plain value or :data:`MAX_FRAME_BYTES` of a frame (larger
frames, dask arrays and dask dataframes are described from their recorded shape, dtype and
columns), and reads only the first rows of a zarr array. An artifact that cannot be read
is marked (``<not loaded: ...>``), so a listing always completes. The value's text is one
line, capped at the caller's width.

>>> cap("a  b\\n c", 80), cap("x" * 10, 6)
('a b c', 'xxxxx…')
"""

from __future__ import annotations

import reprlib

from dflow.client.trust import unloaded_pickle
from dflow.errors import DflowError
from dflow.store import ArtifactRef, Store

#: Largest serialized msgpack value that is loaded for a preview.
MAX_LOAD_BYTES = 64 * 1024
#: Largest stored frame (Parquet or Arrow IPC) that is loaded to show its first rows.
MAX_FRAME_BYTES = 4 << 20
#: Longest preview text, in characters, unless the caller asks for less.
MAX_PREVIEW_CHARS = 160

_REPR = reprlib.Repr()
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 8
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlevel = 3


def cap(text: str, width: int = MAX_PREVIEW_CHARS) -> str:
    """``text`` on one line (runs of white space made one space), at most ``width``
    characters, a cut one ending in ``…``."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _frame_head(value: object) -> str:
    head = value.slice(0, 3).to_pandas() if hasattr(value, "slice") else value.head(3)
    return " | ".join(" ".join(line.split()) for line in head.to_string().splitlines())


def _value_text(store: Store, ref: ArtifactRef, name: str) -> str | None:
    """The preview of a value that is read (None: too large to read)."""
    if ref.encoding == "zarr":
        arr = store.open_array(ref, name=name)
        head = arr[: min(arr.shape[0], 3)] if arr.ndim else arr[()]
        return f"array shape={tuple(arr.shape)} dtype={arr.dtype} head={_REPR.repr(head)}"
    if ref.encoding in ("parquet", "arrow") and ref.size <= MAX_FRAME_BYTES:
        return f"{ref.describe()}; head: {_frame_head(store.load(ref, name=name))}"
    if ref.meta and ref.describe():  # dask arrays and frames, large frames: never read
        return str(ref.describe())
    if ref.size > MAX_LOAD_BYTES:
        return None
    value = store.load(ref, name=name)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"array shape={tuple(value.shape)} dtype={value.dtype} {_REPR.repr(value.tolist())}"
    return _REPR.repr(value)


def preview_value(
    store: Store, ref: ArtifactRef, name: str = "", *, width: int = MAX_PREVIEW_CHARS
) -> str:
    """A one-line preview of the artifact ``ref`` of ``store`` (``name`` is how errors call
    it), its value's text capped at ``width`` characters. Never unpickles, reads little."""
    if ref.encoding == "pickle":
        return unloaded_pickle(ref, trusted=store.trusted)
    try:
        text = _value_text(store, ref, name)
    except DflowError as exc:
        return f"<not loaded: {exc.message}>"
    if text is None:
        return f"<{ref.type_name}, {ref.size} bytes: too large to preview>"
    return cap(text, width)
