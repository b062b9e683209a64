"""The ``parquet`` codec: pandas DataFrames and Series and pyarrow Tables as Parquet.

One blob holds a Parquet file whose columns are each encoded as suits their values
(:func:`parquet_bytes`: dictionary where values repeat, delta for other integers and
times, byte-stream-split for other floats; zstd pages, no statistics); its key is the
digest of those bytes, which are deterministic for equal frames. Nothing is pickled, so
a store opened untrusted reads frames. Chosen over Arrow IPC by measurement
(``tests/benchmarks/bench_frames.py``; 2M rows of its 8-column frame): the same CPU time
to write and read (about 0.4 s each way round), 24 MB against 42 MB for IPC with zstd
buffers (pickle + gzip: 42 MB); Parquet with pyarrow's defaults took twice the time for
38 MB. A frame Parquet would not give back exactly (categoricals of numbers, an empty
frame's categories) is stored as an Arrow IPC file instead (encoding ``arrow``, read by
:class:`ArrowCodec`, which is also how dflow stored every frame before).

pandas frames go through ``pyarrow.Table.from_pandas``, which keeps categoricals,
tz-aware datetimes, nullable dtypes, strings, the index (named, MultiIndex, RangeIndex,
DatetimeIndex) and ``attrs`` in its pandas metadata. What Arrow does not keep is added in
the schema metadata under ``dflow``: column labels that are not all strings (ints,
tuples, duplicates: stored as msgpack plain data, the columns renamed to their positions),
object columns of strings (restored as object, with their null value), a Series' name and
a DatetimeIndex's ``freq``. Before a frame is stored its reconstruction from the encoded
*schema* (an empty slice, so it costs nothing) is compared with the frame on type,
dtypes, columns, index and attrs (and, for Parquet, its first row read back from a
Parquet file: :func:`parquet_keeps`); a frame that would not come back exactly, or that
Arrow refuses (mixed-type object columns, lists in object columns), raises
:class:`~dflow.store.codecs.Declined` and is pickled with the reason recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dflow.errors import ArtifactCorruptError
from dflow.store import plaindata
from dflow.store.codecs import Codec, Declined, type_name
from dflow.store.plain_codecs import blob_ref
from dflow.store.refs import ArtifactRef, what

#: Arrow IPC buffer compression (see the module docstring).
COMPRESSION = "zstd"
#: Parquet page compression (see the module docstring).
PARQUET_COMPRESSION = "zstd"
#: Rows sampled per column to choose its Parquet encoding (see :func:`parquet_bytes`).
_SAMPLE = 16_384
_META_KEY = b"dflow"
_MAX_META_COLUMNS = 64


class ArrowCodec(Codec):
    """Arrow IPC blobs: what :class:`ParquetCodec` writes for frames Parquet cannot keep.

    Never chosen for a value on its own (:meth:`accepts` is False); it reads ``arrow``
    artifacts, which dflow also wrote for every frame before the ``parquet`` codec.
    """

    name = "arrow"
    #: the name of the format, in errors
    format_name = "Arrow"

    def accepts(self, value: Any) -> bool:  # noqa: D102
        return False

    def read_table(self, data: bytes) -> Any:
        """The Arrow table ``data`` holds."""
        return read_ipc(data)

    def load(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        data = store.get_bytes(ref.key, name=name)
        try:
            table = self.read_table(data)
        except Exception as exc:  # pyarrow's own error types: the bytes are damaged
            raise _unreadable(ref, name, self.format_name, exc) from None
        return from_table(table, owned=True)

    def dask_dataframe(self, store: Any, ref: ArtifactRef, name: str) -> Any:
        """The frame as a one-partition dask dataframe, its dtypes and row order kept.

        Dask would turn string and object columns into its own string dtype and sort an
        unsorted index; neither happens here (divisions are known for a sorted index).
        """
        import dask
        import dask.dataframe as dd

        value = self.load(store, ref, name)
        if ref.type_name == "pyarrow.lib.Table":
            value = value.to_pandas()
        with dask.config.set({"dataframe.convert-string": False}):
            return dd.from_pandas(
                value, npartitions=1, sort=bool(value.index.is_monotonic_increasing)
            )

    def to_delayed(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        import dask

        return dask.delayed(self.load)(store, ref, name)


class ParquetCodec(ArrowCodec):
    """pandas.DataFrame, pandas.Series and pyarrow.Table as one Parquet blob."""

    name = "parquet"
    format_name = "Parquet"

    def accepts(self, value: Any) -> bool:  # noqa: D102
        import pandas as pd
        import pyarrow as pa

        return type(value) in (pd.DataFrame, pd.Series, pa.Table)

    def save(self, store: Any, value: Any) -> ArtifactRef:  # noqa: D102
        table, meta = to_table(value)  # Declined (-> pickle) unless Arrow keeps it exactly
        if table.num_rows and parquet_keeps(value, table):
            return blob_ref(store, parquet_bytes(table), self.name, value, meta, compressed=True)
        return blob_ref(store, ipc_bytes(table), ArrowCodec.name, value, meta)

    def read_table(self, data: bytes) -> Any:
        """The Arrow table the Parquet file ``data`` holds."""
        return read_parquet(data)


def _unreadable(ref: ArtifactRef, name: str, fmt: str, exc: Exception) -> ArtifactCorruptError:
    return ArtifactCorruptError(
        f"{what(ref.key, name)} is corrupt: its {fmt} data cannot be read: {exc}",
        hint="the store is damaged; rerun the step that produced it",
    )


def parquet_bytes(table: Any) -> bytes:
    """``table`` as the bytes of a Parquet file, each column encoded as suits its values.

    Columns whose values repeat (a sample of :data:`_SAMPLE` rows has under 90 % distinct
    values), strings and everything else are dictionary-encoded (Parquet falls back to
    plain values when a dictionary grows too large); other integer and time columns are
    delta-encoded, other floats byte-stream-split; every page is then zstd-compressed.
    No statistics are written (a third of the writing time, and nothing reads them).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        compression=PARQUET_COMPRESSION,
        write_statistics=False,  # a frame is read whole: no reader skips pages
        **_parquet_encodings(table),
    )
    return sink.getvalue().to_pybytes()


def read_parquet(data: bytes) -> Any:
    """The table held by the bytes of a Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.ParquetFile(pa.BufferReader(data)).read()


def _parquet_encodings(table: Any) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    dictionary, encodings = [], {}
    for field, column in zip(table.schema, table.columns, strict=True):
        t = field.type
        floating = pa.types.is_float32(t) or pa.types.is_float64(t)
        numeric = pa.types.is_integer(t) or pa.types.is_timestamp(t) or pa.types.is_date(t)
        numeric = numeric or pa.types.is_time(t) or pa.types.is_duration(t)
        if (floating or numeric) and len(column):
            n = len(column)
            sample = column.take(np.linspace(0, n - 1, min(n, _SAMPLE), dtype=np.int64))
            if len(pc.unique(sample)) >= 0.9 * len(sample):
                encodings[field.name] = "BYTE_STREAM_SPLIT" if floating else "DELTA_BINARY_PACKED"
                continue
        dictionary.append(field.name)
    return {"use_dictionary": dictionary, "column_encoding": encodings or None}


def parquet_keeps(value: Any, table: Any) -> bool:
    """True if ``table`` (``value`` in Arrow) comes back from Parquet as ``value`` does.

    Checked on its first row (Parquet keeps a categorical's categories only with rows):
    types, dtypes, labels and index as :func:`to_table` checks them for Arrow IPC (for a
    pyarrow Table: its schema, metadata included).
    Parquet does not keep, e.g., categoricals of numbers (they come back decoded).
    """
    import pyarrow as pa

    try:
        back = read_parquet(parquet_bytes(table.slice(0, 1)))
        if isinstance(value, pa.Table):
            return back.schema.equals(table.schema, check_metadata=True)
        _check_exact(value, back, rows=1)
    except (Declined, pa.ArrowException, ValueError, TypeError):
        return False
    return True


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


def _check_exact(value: Any, table: Any, rows: int = 0) -> None:
    """Declined unless ``table``'s first ``rows`` give back ``value``'s type and labels.

    With ``rows=0`` only the schema is used (an empty slice, so it costs nothing).
    """
    import pandas as pd

    empty = value.iloc[:rows]
    try:
        back = from_table(table.slice(0, rows))
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


def from_table(table: Any, *, owned: bool = False) -> Any:
    """The value :func:`to_table` converted (a table without dflow metadata stays one).

    ``owned``: nothing else holds ``table`` (it was just read), so its buffers are freed
    column by column as they convert (``self_destruct``): measured on a 10M-row frame,
    half the kernel time of a first read, which goes to fresh pages.
    """
    import pandas as pd

    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is None:
        return table
    extra = plaindata.unpack(raw)
    # owned: nothing else holds the table, so its buffers are freed as columns convert
    # (about half the kernel time of a large first read: fewer fresh pages)
    frame = table.to_pandas(self_destruct=owned)
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
