"""Content keys: xxh3-128 digests of serialized bytes, and where a key lives in the store.

A blob's key is ``xxh3_128(serialized bytes)`` (before compression, so codecs may change
without changing keys). An array's key is the digest of a canonical header (dtype, shape,
order) followed by the raw C-order buffer, hashed without a copy.
"""

from __future__ import annotations

import json

import numpy as np
import xxhash

from dflow.errors import StoreError

KEY_LENGTH = 32
_HEX = frozenset("0123456789abcdef")


def digest(data: bytes | bytearray | memoryview) -> str:
    """Return the xxh3-128 hex digest of ``data`` (any buffer; no copy)."""
    return xxhash.xxh3_128_hexdigest(data)


def array_header(dtype: np.dtype, shape: tuple[int, ...]) -> bytes:
    """The canonical header hashed before an array's raw buffer."""
    descr = np.lib.format.dtype_to_descr(np.dtype(dtype))
    doc = {"dtype": descr, "order": "C", "shape": [int(n) for n in shape]}
    return b"dflow-array\x00" + json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def array_digest(arr: np.ndarray) -> str:
    """Digest of a C-contiguous array: canonical header, then its buffer (streamed, no copy)."""
    if not arr.flags.c_contiguous:
        raise ValueError("array_digest needs a C-contiguous array")
    h = xxhash.xxh3_128(array_header(arr.dtype, arr.shape))
    if arr.size:
        h.update(arr.reshape(-1).view(np.uint8))
    return h.hexdigest()


def check_key(key: str) -> str:
    """Return ``key`` if it looks like a content key (32 lowercase hex digits)."""
    if not isinstance(key, str) or len(key) != KEY_LENGTH or not _HEX.issuperset(key):
        raise StoreError(
            f"invalid content key {key!r}: expected 32 lowercase hex digits (xxh3-128)"
        )
    return key


def shard(key: str) -> str:
    """The sharded relative path of a key: ``"ab/cdef..."``."""
    check_key(key)
    return f"{key[:2]}/{key[2:]}"
