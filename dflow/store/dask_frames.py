"""The ``dask-parquet`` codec: dask DataFrames and Series as Parquet partitions, read lazily.

Saving never gathers the frame: a writer is fused onto every partition's own task
(``map_partitions``), converts the partition as the ``parquet`` codec does (so its dtypes,
index and labels come back exactly; see :mod:`dflow.store.frames`), writes it as one
Parquet file (:func:`~dflow.store.frames.parquet_bytes`) at a staging prefix and returns
only the file's xxh3-128 digest, its row count and, when the input's divisions are known,
its index bounds. The graph is computed with Dask's current scheduler. The key is a
Merkle key over a header (kind, partition count, the divisions' blob key or None) and
the partition digests in order.

The table folder ``tables/<k[:2]>/<k[2:]>/`` holds ``part.<n>.parquet`` files and, last,
``dflow-complete.json`` (``{"layout": 1, "key", "npartitions", "parts": [[file, digest,
rows], ...], "meta": <key of a blob holding the empty frame>, "divisions": <key of a blob
holding them, or null>}``), committed like a dask array's (see
:mod:`dflow.store.array_files`). Divisions are recorded when the input's were known and
they hold for the written partitions (:func:`divisions_hold`; a ``map_partitions`` that
changed the index keeps Dask's divisions but not their truth); unknown divisions stay
unknown. Empty partitions are kept.

Loading returns a lazy ``dask.dataframe`` (``dd.from_map``) with the same columns, dtypes,
index and divisions; each partition is read when computed and checked against its digest
(an ArtifactCorruptError naming the artifact when damaged).
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

import xxhash

from dflow.errors import ArtifactCorruptError, ArtifactNotFoundError
from dflow.store.array_files import (
    commit_staged,
    compute_settled,
    data_rel,
    read_marker,
    remove_tree,
)
from dflow.store.codecs import Codec, type_name
from dflow.store.frames import (
    from_table,
    ipc_bytes,
    parquet_bytes,
    read_ipc,
    read_parquet,
    to_table,
)
from dflow.store.refs import ArtifactRef, what

AREA = "tables"


class DaskFrameCodec(Codec):
    """dask.dataframe DataFrame/Series -> Parquet partitions written by their own tasks."""

    name = "dask-parquet"

    def accepts(self, value: Any) -> bool:  # noqa: D102
        import dask.dataframe as dd

        return isinstance(value, dd.DataFrame | dd.Series)

    def save(self, store: Any, value: Any) -> ArtifactRef:  # noqa: D102
        meta_table, meta = to_table(value._meta)  # Declined if it could not come back exactly
        staging = f"{'tmp' if store.io.local else 'staging'}/{uuid.uuid4().hex}"
        store.io.check_writable(staging)
        try:
            parts, size, bounds = _write_partitions(store, staging, value)
        except BaseException:
            remove_tree(store, staging)
            raise
        divisions = None
        if value.known_divisions and divisions_hold(value.divisions, bounds):
            divisions = store.put_bytes(ipc_bytes(_divisions_table(value)))
        h = xxhash.xxh3_128(b"dflow-partitioned-frame\x00")
        h.update(f"{type_name(value)}|{len(parts)}|{divisions}".encode())
        for _file, digest, _rows in parts:
            h.update(bytes.fromhex(digest))
        key = h.hexdigest()
        doc = {
            "npartitions": len(parts),
            "parts": parts,
            "meta": store.put_bytes(ipc_bytes(meta_table)),
            "divisions": divisions,
        }
        commit_staged(store, key, staging, doc, area=AREA)
        nrows = sum(rows for _f, _d, rows in parts)
        meta = {
            **{k: v for k, v in meta.items() if k != "nrows"},
            "nrows": nrows,
            "npartitions": len(parts),
            "divisions_known": divisions is not None,
        }
        return ArtifactRef(key, self.name, size, type_name(value), meta)

    def load(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        return self.dask_dataframe(store, ref, name)

    def dask_dataframe(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        import dask.dataframe as dd

        marker = read_marker(store, ref.key, name, AREA)
        folder = data_rel(ref.key, marker, AREA)
        meta = from_table(read_ipc(store.get_bytes(marker["meta"], name=name)))
        divisions = None
        if marker.get("divisions"):
            table = read_ipc(store.get_bytes(marker["divisions"], name=name))
            divisions = tuple(table.column(0).to_pandas())
        parts = [(f"{folder}/{f}", d) for f, d, _rows in marker["parts"]]
        reader = functools.partial(read_partition, store, ref.key, name, meta=meta)
        return dd.from_map(
            reader,
            parts,
            meta=meta,
            divisions=divisions,
            label="dflow-frame",
            enforce_metadata=False,
        )

    def to_delayed(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        return self.dask_dataframe(store, ref, name).to_delayed()


def _divisions_table(value: Any) -> Any:
    import pandas as pd
    import pyarrow as pa

    index = pd.Index(list(value.divisions), dtype=value._meta.index.dtype)
    return pa.table({"divisions": pa.array(index)})


def _write_partitions(store: Any, staging: str, value: Any) -> tuple[list[list], int, list]:
    """Compute and write every partition where it is computed.

    Returns ``[file, digest, rows]`` per partition, the bytes written in all and each
    partition's index bounds (see :func:`write_partition`; only with known divisions).
    """
    import pandas as pd

    meta = pd.DataFrame(
        {
            "file": pd.Series([], dtype=object),
            "digest": pd.Series([], dtype=object),
            "rows": pd.Series([], dtype="int64"),
            "bytes": pd.Series([], dtype="int64"),
            "bounds": pd.Series([], dtype=object),
        }
    )
    written = value.map_partitions(
        write_partition,
        store,
        staging,
        bounds=value.known_divisions,
        meta=meta,
        enforce_metadata=False,
        align_dataframes=False,
    )
    done = compute_settled(written)
    parts = [
        [f, d, int(r)] for f, d, r in zip(done["file"], done["digest"], done["rows"], strict=True)
    ]
    return parts, int(done["bytes"].sum()), list(done["bounds"])


def write_partition(
    part: Any, store: Any, staging: str, bounds: bool = False, partition_info: Any = None
) -> Any:
    """Write one partition as Parquet into ``staging``; a one-row frame describing it.

    ``bounds``: also give the partition's smallest and largest index value (``None`` for
    an empty partition, ``False`` for an index that cannot be ordered or holds nulls).
    """
    import pandas as pd

    number = partition_info["number"] if partition_info else 0
    table, _meta = to_table(part)
    data = parquet_bytes(table)
    file = f"part.{number:06d}.parquet"
    store.io.write(f"{staging}/{file}", data)
    return pd.DataFrame(
        {
            "file": pd.Series([file], dtype=object),
            "digest": pd.Series([xxhash.xxh3_128_hexdigest(data)], dtype=object),
            "rows": [len(part)],
            "bytes": [len(data)],
            "bounds": pd.Series([_index_bounds(part.index) if bounds else None], dtype=object),
        }
    )


def _index_bounds(index: Any) -> tuple | bool | None:
    if not len(index):
        return None
    if index.hasnans:
        return False
    try:
        return (index.min(), index.max())
    except TypeError:  # values that do not compare
        return False


def divisions_hold(divisions: tuple, bounds: list) -> bool:
    """True if every written partition's index lies within its divisions.

    As Dask's own ``assert_divisions`` checks them: partition ``i`` holds index values
    ``divisions[i] <= v < divisions[i + 1]``, the last one ``v <= divisions[-1]``. Dask
    keeps an input's divisions through a ``map_partitions`` whose function changes the
    index (it cannot know), so they are checked against what was written; divisions that
    do not hold are recorded as unknown.

    >>> divisions_hold((0, 5, 9), [(0, 4), (5, 9)]), divisions_hold((0, 5, 9), [(0, 5), None])
    (True, False)
    """
    last = len(bounds) - 1
    for i, bound in enumerate(bounds):
        if bound is None:
            continue
        if bound is False:
            return False
        lo, hi = bound
        try:
            if not (
                divisions[i] <= lo
                and (hi <= divisions[i + 1] if i == last else hi < divisions[i + 1])
            ):
                return False
        except TypeError:
            return False
    return True


def read_partition(store: Any, key: str, name: str, part: tuple[str, str], meta: Any = None) -> Any:
    """Read one stored partition, checked against its digest.

    Categorical columns take ``meta``'s categories: Parquet gives a categorical of numbers
    back decoded, and an empty partition's categoricals without their categories.
    """

    rel, digest = part
    try:
        data = store.io.read(rel)
    except FileNotFoundError:
        raise ArtifactNotFoundError(
            f"{what(key, name)} is incomplete: its partition {rel} is missing from the store",
            hint="the store is damaged; rerun the step that produced it",
        ) from None
    if xxhash.xxh3_128_hexdigest(data) != digest:
        raise ArtifactCorruptError(
            f"{what(key, name)} is corrupt: its partition {rel.rsplit('/', 1)[-1]} does "
            "not match its digest",
            hint="the store is damaged; rerun the step that produced it",
        )
    frame = from_table(read_parquet(data), owned=True)
    return frame if meta is None else _with_categories(frame, meta)


def _with_categories(frame: Any, meta: Any) -> Any:
    import pandas as pd

    if isinstance(frame, pd.Series):
        if isinstance(meta.dtype, pd.CategoricalDtype) and frame.dtype != meta.dtype:
            return frame.astype(meta.dtype)
        return frame
    for i, dtype in enumerate(meta.dtypes):
        if isinstance(dtype, pd.CategoricalDtype) and frame.dtypes.iloc[i] != dtype:
            frame.isetitem(i, frame.iloc[:, i].astype(dtype))
    return frame
