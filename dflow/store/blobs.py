"""The on-disk form of one blob: a small header, then the (maybe compressed) payload.

Header (16 bytes): ``b"DFB1"`` magic, one codec byte (0 none, 1 zstd, 2 lz4), three
reserved zero bytes, then the uncompressed size as a little-endian uint64. The content
key is the digest of the uncompressed bytes, so the codec can change without changing keys.
Small blobs are stored raw; larger ones are compressed when a sample shows it pays.
"""

from __future__ import annotations

import functools
import struct
from typing import Any

from dflow.errors import ArtifactCorruptError
from dflow.store.keys import digest

MAGIC = b"DFB1"
_HEADER = struct.Struct("<4sB3xQ")
HEADER_SIZE = _HEADER.size
CODEC_NONE, CODEC_ZSTD, CODEC_LZ4 = 0, 1, 2
CODEC_NAMES = {CODEC_NONE: "none", CODEC_ZSTD: "zstd", CODEC_LZ4: "lz4"}

#: Blobs below this size are never compressed (the header and the call would not pay).
MIN_COMPRESS = 4096
_SAMPLE = 256 * 1024


@functools.cache
def _compressor(codec: int) -> Any:
    """The numcodecs compressor of ``codec``, imported on first use: most blobs are small
    and stored raw, and numcodecs takes a worker's first task about 25 ms to import."""
    from numcodecs import LZ4, Zstd

    return Zstd(level=1) if codec == CODEC_ZSTD else LZ4(acceleration=1)


def _choose_codec(data: bytes | memoryview) -> int:
    if len(data) < MIN_COMPRESS:
        return CODEC_NONE
    sample = memoryview(data)[:_SAMPLE]
    if len(_compressor(CODEC_ZSTD).encode(sample)) > 0.8 * len(sample):
        return CODEC_NONE
    return CODEC_ZSTD


def encode_blob(data: bytes | memoryview, codec: int | None = None) -> bytes:
    """Frame ``data`` as a blob (header + payload), compressing when it pays."""
    codec = _choose_codec(data) if codec is None else codec
    payload = data if codec == CODEC_NONE else _compressor(codec).encode(data)
    return _HEADER.pack(MAGIC, codec, len(data)) + bytes(payload)


def decode_blob(blob: bytes, key: str, name: str) -> bytes:
    """Unframe a blob and check its digest against ``key``.

    Raises ArtifactCorruptError (naming ``name``) on a bad header, a failed
    decompression, a wrong size or a digest mismatch.
    """
    what = f"artifact {name!r} (object {key})" if name else f"object {key}"
    if len(blob) < HEADER_SIZE:
        raise ArtifactCorruptError(
            f"{what} is truncated: {len(blob)} bytes, shorter than its header",
            hint="the store is damaged; rerun the step that produced it",
        )
    magic, codec, size = _HEADER.unpack_from(blob)
    if magic != MAGIC or codec not in CODEC_NAMES:
        raise ArtifactCorruptError(f"{what} has an unknown header {blob[:8]!r}")
    payload = memoryview(blob)[HEADER_SIZE:]
    try:
        if codec == CODEC_NONE:
            data = bytes(payload)
        else:
            data = bytes(_compressor(codec).decode(payload))
    except Exception as exc:  # a codec's own error type: the bytes are damaged
        raise ArtifactCorruptError(
            f"{what} cannot be decompressed ({CODEC_NAMES[codec]}): {exc}",
            hint="the store is damaged; rerun the step that produced it",
        ) from None
    if len(data) != size or digest(data) != key:
        raise ArtifactCorruptError(
            f"{what} is corrupt: its content does not match its key "
            f"({len(data)} bytes, expected {size})",
            hint="the store is damaged; rerun the step that produced it",
        )
    return data
