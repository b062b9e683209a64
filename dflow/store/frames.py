"""The ``arrow`` codec: pandas DataFrames and Series and pyarrow Tables as Arrow IPC.

One blob holds an Arrow IPC file (record batches with zstd-compressed buffers; chosen
over Parquet by ``tests/benchmarks/bench_frames.py``: 2-4x faster to write and read at a
similar size); its key is the digest of those bytes, which are deterministic for equal
frames. Nothing is pickled, so a store opened untrusted reads frames.

pandas frames go through ``pyarrow.Table.from_pandas``, which keeps categoricals,
tz-aware datetimes, nullable dtypes, strings, the index (named, MultiIndex, RangeIndex,
DatetimeIndex) and ``attrs`` in its pandas metadata. What Arrow does not keep is added in
the schema metadata under ``dflow``: column labels that are not all strings (ints,
tuples, duplicates: stored as msgpack plain data, the columns renamed to their positions),
object columns of strings (restored as object, with their null value), a Series' name and
a DatetimeIndex's ``freq``. Before a frame is stored its reconstruction from the encoded
*schema* (an empty slice, so it costs nothing) is compared with the frame on type,
dtypes, columns, index and attrs; a frame that would not come back exactly, or that
Arrow refuses (mixed-type object columns, lists in object columns), raises
:class:`~dflow.store.codecs.Declined` and is pickled with the reason recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dflow.errors import ArtifactCorruptError
from dflow.store import plaindata
from dflow.store.codecs import Codec, Declined, type_name, what
from dflow.store.plain_codecs import blob_ref
from dflow.store.refs import ArtifactRef

#: Arrow IPC buffer compression (see the module docstring).
COMPRESSION = "zstd"
_META_KEY = b"dflow"
_MAX_META_COLUMNS = 64


class ArrowCodec(Codec):
    """pandas.DataFrame, pandas.Series and pyarrow.Table as an Arrow IPC blob."""

    name = "arrow"

    def accepts(self, value: Any) -> bool:  # noqa: D102
        import pandas as pd
        import pyarrow as pa

        return type(value) in (pd.DataFrame, pd.Series, pa.Table)

    def save(self, store: Any, value: Any) -> ArtifactRef:  # noqa: D102
        table, meta = to_table(value)
        data = ipc_bytes(table)
        return blob_ref(store, data, self.name, value, meta)

    def load(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        data = store.get_bytes(ref.key, name=name)
        try:
            table = read_ipc(data)
        except Exception as exc:  # pyarrow's own error types: the bytes are damaged
            raise ArtifactCorruptError(
                f"{what(ref.key, name)} is corrupt: its Arrow data cannot be read: {exc}",
                hint="the store is damaged; rerun the step that produced it",
            ) from None
        return from_table(table)

    def dask_dataframe(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        import dask.dataframe as dd

        value = self.load(store, ref, name)
        if ref.type_name == "pyarrow.lib.Table":
            value = value.to_pandas()
        return dd.from_pandas(value, npartitions=1)

    def to_delayed(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        import dask

        return dask.delayed(self.load)(store, ref, name)


def ipc_bytes(table: Any, compression: str | None = COMPRESSION) -> bytes:
    """``table`` as the bytes of an Arrow IPC file."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_file(sink, table.schema, options=options) as writer:
        if table.num_rows:
            writer.write_table(table)
        else:  # one empty batch, so that dictionaries (categories) are written too
            arrays = [c.chunk(0) if c.num_chunks else pa.array([], c.type) for c in table.columns]
            writer.write_batch(pa.record_batch(arrays, schema=table.schema))
    return sink.getvalue().to_pybytes()


def read_ipc(data: bytes) -> Any:
    """The table held by the bytes of an Arrow IPC file."""
    import pyarrow as pa

    return pa.ipc.open_file(pa.py_buffer(data)).read_all()


def _string_type(t: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)


def _object_columns(frame: Any, table: Any) -> dict[str, str]:
    """Object columns of ``frame`` (by position) -> how their nulls are restored."""
    import pyarrow as pa

    out = {}
    for i, dtype in enumerate(frame.dtypes):
        if not (isinstance(dtype, np.dtype) and dtype.kind == "O"):
            continue
        atype = table.schema.field(i).type
        if pa.types.is_binary(atype) or pa.types.is_large_binary(atype):
            continue  # bytes come back as bytes in an object column
        if not _string_type(atype):
            raise Declined(
                f"column {frame.columns[i]!r} of dtype object holds {atype} values, which "
                "Arrow would not give back as the same Python objects"
            )
        col = frame.iloc[:, i]
        nulls = set(map(type, col[col.isna()]))
        if len(nulls) > 1:
            raise Declined(
                f"column {frame.columns[i]!r} mixes null values {sorted(map(str, nulls))}"
            )
        out[str(i)] = "nan" if nulls == {float} else "none"
    return out


def to_table(value: Any) -> tuple[Any, dict]:
    """Convert a frame, series or table to an Arrow table (+ the reference's meta)."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(value, pa.Table):
        return value, _table_meta(value)
    extra: dict[str, Any] = {"kind": "series" if isinstance(value, pd.Series) else "frame"}
    frame = value.to_frame() if isinstance(value, pd.Series) else value
    if isinstance(value, pd.Series):
        extra["name"] = plaindata.pack([value.name]).hex()
    columns = frame.columns
    plain_str = type(columns) is pd.Index and all(type(c) is str for c in columns)
    if not isinstance(columns, pd.MultiIndex) and (not plain_str or not columns.is_unique):
        if type(columns) is pd.RangeIndex:
            extra["columns"] = {"range": [columns.start, columns.stop, columns.step]}
        elif type(columns) is pd.Index:
            try:
                labels = plaindata.pack(list(columns))
            except (TypeError, ValueError, OverflowError) as exc:
                raise Declined(f"its column labels are not plain data ({exc})") from None
            extra["columns"] = {"labels": labels.hex(), "dtype": str(columns.dtype)}
        else:
            raise Declined(f"column labels of type {type_name(columns)} are not supported")
        extra["columns_name"] = plaindata.pack([columns.name]).hex()
        frame = frame.set_axis([str(i) for i in range(len(columns))], axis=1)
    if isinstance(frame.index, pd.DatetimeIndex | pd.TimedeltaIndex) and frame.index.freq:
        extra["freq"] = frame.index.freqstr
    try:
        table = pa.Table.from_pandas(frame, preserve_index=None)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise Declined(f"Arrow cannot hold this frame: {exc}") from None
    extra["objects"] = _object_columns(frame, table)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), _META_KEY: plaindata.pack(extra)}
    )
    _check_exact(value, table)
    return table, _frame_meta(value)


def _same_index(a: Any, b: Any) -> bool:
    return (type(a) is type(b) and a.dtype == b.dtype and list(a.names) == list(b.names)) and (
        not hasattr(a, "levels") or [x.dtype for x in a.levels] == [x.dtype for x in b.levels]
    )


def _check_exact(value: Any, table: Any) -> None:
    """Declined unless the schema alone reconstructs ``value``'s type, dtypes and labels."""
    import pandas as pd

    empty = value.iloc[:0]
    try:
        back = from_table(table.slice(0, 0))
    except Exception as exc:  # a reconstruction that fails is one that is not exact
        raise Declined(f"its Arrow form does not read back ({type(exc).__name__}: {exc})") from None
    problems = []
    if type(back) is not type(empty):
        problems.append(f"it would come back as {type_name(back)}")
    elif isinstance(empty, pd.Series):
        if back.dtype != empty.dtype or back.name != empty.name:
            problems.append("its dtype or name would change")
    else:
        if list(back.dtypes) != list(empty.dtypes):
            problems.append("column dtypes would change")
        c1, c2 = back.columns, empty.columns
        if not (c1.equals(c2) and _same_index(c1, c2) and list(c1) == list(c2)):
            problems.append("column labels would change")
    if not problems and not _same_index(back.index, empty.index):
        problems.append("the index type, dtype or names would change")
    if not problems and back.attrs != empty.attrs:
        problems.append("attrs would change")
    if problems:
        raise Declined(f"as Arrow, {'; '.join(problems)}")


def from_table(table: Any) -> Any:
    """The value :func:`to_table` converted (a table without dflow metadata stays one)."""
    import pandas as pd

    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is None:
        return table
    extra = plaindata.unpack(raw)
    frame = table.to_pandas()
    for pos, null in extra.get("objects", {}).items():
        col = frame.iloc[:, int(pos)].astype(object)
        if null == "none":
            col = col.where(col.notna(), None)
        frame.isetitem(int(pos), col)
    if "columns" in extra:
        spec = extra["columns"]
        (cname,) = plaindata.unpack(bytes.fromhex(extra["columns_name"]))
        if "range" in spec:
            frame.columns = pd.RangeIndex(*spec["range"], name=cname)
        else:
            labels = plaindata.unpack(bytes.fromhex(spec["labels"]))
            frame.columns = pd.Index(labels, dtype=spec["dtype"], name=cname, tupleize_cols=False)
    if "freq" in extra:
        frame.index.freq = extra["freq"]
    if extra["kind"] == "series":
        (name,) = plaindata.unpack(bytes.fromhex(extra["name"]))
        series = frame.iloc[:, 0]
        series.name = name
        return series
    return frame


def _frame_meta(value: Any) -> dict:
    import pandas as pd

    frame = value.to_frame() if isinstance(value, pd.Series) else value
    cols = [[str(c), str(t)] for c, t in zip(frame.columns, frame.dtypes, strict=True)]
    meta: dict[str, Any] = {
        "nrows": len(frame),
        "ncols": len(cols),
        "columns": cols[:_MAX_META_COLUMNS],
        "index": [str(n) for n in frame.index.names],
    }
    if isinstance(value, pd.Series):
        meta = {"nrows": len(value), "dtype": str(value.dtype), "name": str(value.name)}
    return meta


def _table_meta(table: Any) -> dict:
    cols = [[f.name, str(f.type)] for f in table.schema]
    return {"nrows": table.num_rows, "ncols": len(cols), "columns": cols[:_MAX_META_COLUMNS]}
