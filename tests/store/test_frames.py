"""pandas frames and series and pyarrow tables round-trip exactly as Arrow IPC (no pickle)."""

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
    "series": pd.Series([1.5, 2.5], name="price", index=pd.Index(["x", "y"], name="k")),
    "series_unnamed": pd.Series(pd.Categorical(["a", "b"])),
    "series_int_name": pd.Series([1, 2], name=3),
}


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
def test_frames_round_trip_exactly_as_arrow(tmp_path, case) -> None:
    value = FRAMES[case]
    store = open_store(str(tmp_path / "s"))
    ref = store.save(value)
    assert ref.encoding == "arrow", ref.meta
    back = open_store(str(tmp_path / "s"), trusted=False).load(ref)
    _equal(value, back)
    if case == "object_str_none":
        assert back["o"][1] is None


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
    assert ref.encoding == "arrow" and ref.meta["nrows"] == 3
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
