"""pandas frames and series and pyarrow tables round-trip exactly as Parquet, or as Arrow IPC
where Parquet would not keep them (never a pickle)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dflow.errors import ArtifactCorruptError
from dflow.store import Store, open_store
from dflow.store.keys import shard

N = 6
FRAMES = {
    "categorical": pd.DataFrame(
        {"c": pd.Categorical(list("abcabc"), categories=list("cba"), ordered=True)}
    ),
    "tz_datetime": pd.DataFrame({"t": pd.date_range("2026-01-01", periods=N, tz="Europe/Paris")}),
    "nullable": pd.DataFrame(
        {
            "i": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
            "b": pd.array([True, None, False, True, True, False], dtype="boolean"),
            "f": pd.array([1.5, None, 3, 4, 5, 6], dtype="Float64"),
        }
    ),
    "str_dtype": pd.DataFrame({"s": pd.Series(["a", "b", None, "d", "e", "f"], dtype="str")}),
    "object_str": pd.DataFrame({"o": pd.Series(list("abcdef"), dtype=object)}),
    "object_str_none": pd.DataFrame(
        {"o": pd.Series(["a", None, "c", "d", "e", "f"], dtype=object)}
    ),
    "object_bytes": pd.DataFrame({"o": pd.Series([b"a", b"\x00"] * 3, dtype=object)}),
    "named_index": pd.DataFrame({"x": range(N)}, index=pd.Index(list("uvwxyz"), name="k")),
    "multiindex": pd.DataFrame(
        {"x": range(N)}, index=pd.MultiIndex.from_product([[1, 2], list("abc")], names=["a", "b"])
    ),
    "datetime_index": pd.DataFrame(
        {"x": range(N)}, index=pd.date_range("2026", periods=N, freq="D", name="d")
    ),
    "range_index": pd.DataFrame({"x": range(N)}, index=pd.RangeIndex(10, 10 + 2 * N, 2)),
    "int_index": pd.DataFrame({"x": range(N)}, index=[5, 3, 1, 2, 4, 0]),
    "non_str_columns": pd.DataFrame({0: range(N), 1.5: range(N), "a": range(N)}),
    "int_columns": pd.DataFrame(np.arange(12).reshape(6, 2)),
    "multiindex_columns": pd.DataFrame(
        np.arange(12).reshape(6, 2), columns=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)])
    ),
    "duplicate_columns": pd.DataFrame([[1, 2]] * N, columns=["a", "a"]),
    "named_columns": pd.DataFrame({"x": range(N)}).rename_axis(columns="cols"),
    "numbers": pd.DataFrame(
        {
            "u8": np.arange(N, dtype=np.uint8),
            "f32": np.arange(N, dtype=np.float32),
            "td": pd.to_timedelta(range(N), unit="s"),
            "when": [dt.datetime(2026, 1, 1)] * N,
        }
    ),
    "empty": pd.DataFrame(
        {
            "a": pd.Series([], dtype="int64"),
            "b": pd.Series([], dtype="str"),
            "c": pd.Categorical([], categories=["x", "y"]),
        }
    ),
    "int_categorical": pd.DataFrame({"c": pd.Categorical([3, 1, None, 3, 1, 2])}),
    "series": pd.Series([1.5, 2.5], name="price", index=pd.Index(["x", "y"], name="k")),
    "series_unnamed": pd.Series(pd.Categorical(["a", "b"])),
    "series_int_name": pd.Series([1, 2], name=3),
}
#: Parquet does not keep these (numbers as categories; an empty frame's categories).
AS_ARROW = {"int_categorical", "empty"}

M = 40_000  # enough rows for every Parquet column encoding and two pages a column
_rng = np.random.default_rng(0)
LONG = pd.DataFrame(
    {
        "id": np.arange(M, dtype=np.int64),  # delta-encoded
        "when": pd.date_range("2026-01-01", periods=M, freq="s", tz="UTC"),
        "gap": pd.to_timedelta(_rng.integers(0, 10**9, M), unit="ns"),
        "noise": _rng.standard_normal(M),  # byte-stream-split
        "f32": _rng.standard_normal(M).astype(np.float32),
        "price": np.round(_rng.gamma(2.0, 10.0, M), 1),  # repeats: dictionary
        "small": _rng.integers(0, 7, M, dtype=np.int16),
        "u64": _rng.integers(0, 2**63, M, dtype=np.uint64) * np.uint64(2),
        "nullable": pd.array(
            np.where(_rng.random(M) < 0.1, None, _rng.integers(0, 10**6, M)), dtype="Int64"
        ),
        "text": pd.Series(
            np.array([f"w{i}" for i in range(5000)])[_rng.integers(0, 5000, M)], dtype="str"
        ),
        "cat": pd.Categorical.from_codes(_rng.integers(-1, 30, M), [f"c{i}" for i in range(40)]),
    },
    index=pd.Index(_rng.permutation(M), name="row"),
)
LONG.loc[LONG.index[::97], "when"] = pd.NaT
LONG.loc[LONG.index[::89], "noise"] = np.nan


def _equal(a, b) -> None:
    assert type(a) is type(b)
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_column_type=True)
        assert [type(x) for x in a.columns] == [type(x) for x in b.columns]
    else:
        pd.testing.assert_series_equal(a, b, check_exact=True)
    assert a.index.equals(b.index) and type(a.index) is type(b.index)
    if isinstance(a.index, pd.DatetimeIndex):
        assert a.index.freq == b.index.freq
    assert a.attrs == b.attrs


@pytest.mark.parametrize("case", sorted(FRAMES))
def test_frames_round_trip_exactly(tmp_path, case) -> None:
    value = FRAMES[case]
    store = open_store(str(tmp_path / "s"))
    ref = store.save(value)
    assert ref.encoding == ("arrow" if case in AS_ARROW else "parquet"), ref.meta
    assert "reason" not in ref.meta
    back = open_store(str(tmp_path / "s"), trusted=False).load(ref)
    _equal(value, back)
    if case == "object_str_none":
        assert back["o"][1] is None


def test_long_frames_round_trip_exactly_through_every_parquet_encoding(tmp_path) -> None:
    store = open_store(str(tmp_path / "s"))
    table = pa.Table.from_pandas(LONG.drop(columns="cat"))
    # Parquet gives a table's dictionary<large_string> back as dictionary<string>: IPC
    cat_table = pa.Table.from_pandas(LONG)
    for value in (LONG, LONG.iloc[::-1], LONG["noise"], table, cat_table):
        ref = store.save(value)
        assert ref.encoding == ("arrow" if value is cat_table else "parquet")
        back = open_store(str(tmp_path / "s"), trusted=False).load(ref)
        if isinstance(value, pa.Table):
            assert back.equals(value) and back.schema.equals(value.schema, check_metadata=True)
        else:
            _equal(value, back)
    assert store.save(LONG).size < 0.6 * LONG.memory_usage(deep=True).sum()


def test_frames_written_as_arrow_ipc_before_parquet_are_read(tmp_path) -> None:
    from dflow.store.frames import ipc_bytes, to_table
    from dflow.store.plain_codecs import blob_ref

    store = open_store(str(tmp_path / "s"))
    table, meta = to_table(FRAMES["multiindex"])
    ref = blob_ref(store, ipc_bytes(table), "arrow", FRAMES["multiindex"], meta)
    _equal(FRAMES["multiindex"], open_store(str(tmp_path / "s"), trusted=False).load(ref))


def test_object_values_and_nulls_come_back_as_they_were(tmp_path) -> None:
    store = open_store(str(tmp_path / "s"))
    df = pd.DataFrame({"o": pd.Series(["a", float("nan"), "c"], dtype=object)})
    back = store.load(store.save(df))
    assert back["o"].dtype == object and isinstance(back["o"][1], float)


def test_attrs_round_trip(store: Store) -> None:
    df = pd.DataFrame({"x": [1, 2]})
    df.attrs["source"] = "sensor"
    assert store.load(store.save(df)).attrs == {"source": "sensor"}


def test_arrow_tables_round_trip_on_every_backend(store: Store) -> None:
    table = pa.table({"a": [1, 2, None], "b": ["x", "y", "z"]})
    ref = store.save(table)
    assert ref.encoding == "parquet" and ref.meta["nrows"] == 3
    assert store.load(ref).equals(table)
    frame = pd.DataFrame({"x": np.arange(1000.0), "c": pd.Categorical(["a", "b"] * 500)})
    _equal(frame, store.load(store.save(frame)))


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (pd.DataFrame({"o": pd.Series([1, "a", None], dtype=object)}), "Arrow cannot hold"),
        (pd.DataFrame({"o": pd.Series([[1], [2]], dtype=object)}), "would not give back"),
        (pd.DataFrame({"o": pd.Series(["a", None, float("nan")], dtype=object)}), "mixes null"),
    ],
)
def test_frames_arrow_cannot_hold_exactly_are_pickled_with_the_reason(tmp_path, value, why):
    store = open_store(str(tmp_path / "s"))
    ref = store.save(value)
    assert ref.encoding == "pickle"
    assert why in ref.meta["reason"]
    pd.testing.assert_frame_equal(store.load(ref), value)


def test_frame_keys_are_deterministic_and_meta_describes_the_frame(tmp_path) -> None:
    store = open_store(str(tmp_path / "s"))
    df = pd.DataFrame({"a": np.arange(100), "s": ["x"] * 100})
    r1, r2 = store.save(df), store.save(df.copy())
    assert r1.key == r2.key
    assert r1.meta == {
        "nrows": 100,
        "ncols": 2,
        "columns": [["a", "int64"], ["s", "str"]],
        "index": ["None"],
    }
    assert store.load(store.save(df["a"])).name == "a"


def test_a_damaged_frame_is_an_error_naming_the_artifact(tmp_path) -> None:
    store = open_store(str(tmp_path / "s"))
    ref = store.save(pd.DataFrame({"a": np.arange(10_000)}))
    path = tmp_path / "s" / "objects" / shard(ref.key)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactCorruptError, match="'frame'"):
        store.load(ref, name="frame")


def test_a_frame_as_a_dask_dataframe_keeps_its_dtypes_and_row_order(tmp_path) -> None:
    from dflow.store.codecs import codec_for

    store = open_store(str(tmp_path / "s"))
    for case in ("str_dtype", "object_str_none", "int_index", "datetime_index"):
        value = FRAMES[case]
        ref = store.save(value)
        ddf = codec_for(ref.encoding).dask_dataframe(store, ref, "x")
        assert ddf.known_divisions == value.index.is_monotonic_increasing
        _equal(value, ddf.compute())


def test_a_loaded_frame_can_be_changed_in_place(tmp_path) -> None:
    store = open_store(str(tmp_path / "s"))
    back = store.load(store.save(LONG))
    back.iloc[0, 0] = -1
    back["noise"] *= 2
    back.loc[back.index[3], "small"] = 5
    assert back.iloc[0, 0] == -1 and back["small"].iloc[3] == 5
    _equal(LONG, store.load(store.save(LONG)))  # the stored one is untouched
