"""Dask dataframes are stored as Parquet partitions written by their own tasks, read lazily."""

from __future__ import annotations

import threading
from pathlib import Path

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from dflow.errors import ArtifactCorruptError
from dflow.store import Store, open_store
from dflow.store.keys import shard


def _frame() -> pd.DataFrame:
    n = 40
    return pd.DataFrame(
        {
            "i": pd.array(np.arange(n), dtype="Int64"),
            "c": pd.Categorical(list("abcd") * (n // 4)),
            "t": pd.date_range("2026-01-01", periods=n, tz="UTC"),
            "s": pd.Series([f"w{i % 7}" for i in range(n)], dtype="str"),
            "f": np.linspace(0, 1, n),
        },
        index=pd.Index(np.arange(100, 100 + n), name="k"),
    )


def test_a_dask_dataframe_round_trips_lazily_on_every_backend(store: Store) -> None:
    df = _frame()
    ddf = dd.from_pandas(df, npartitions=4)
    ref = store.save(ddf)
    assert ref.encoding == "dask-parquet"
    assert ref.meta["npartitions"] == 4 and ref.meta["nrows"] == 40
    assert ref.meta["divisions_known"] is True
    back = store.load(ref, name="df")
    assert isinstance(back, dd.DataFrame)
    assert back.divisions == ddf.divisions
    assert list(back.dtypes) == list(ddf.dtypes) and back.columns.equals(df.columns)
    pd.testing.assert_frame_equal(back.compute(), ddf.compute(), check_exact=True)
    pd.testing.assert_frame_equal(back.partitions[2].compute(), ddf.partitions[2].compute())


def test_unknown_divisions_empty_partitions_and_series(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    df = _frame()
    ddf = dd.from_pandas(df, npartitions=4).clear_divisions()
    filtered = ddf[ddf.f > 0.6]  # the first partitions come out empty
    ref = store.save(filtered)
    assert ref.meta["divisions_known"] is False
    back = store.load(ref)
    assert back.npartitions == 4 and not back.known_divisions
    pd.testing.assert_frame_equal(back.compute(), filtered.compute(), check_exact=True)
    s = store.load(store.save(ddf["s"]))
    assert isinstance(s, dd.Series)
    pd.testing.assert_series_equal(s.compute(), ddf["s"].compute(), check_exact=True)


def test_divisions_are_recorded_only_when_they_hold_for_what_was_written(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    ddf = dd.from_pandas(_frame(), npartitions=4)
    # dask keeps the input's divisions through a function that changes the index
    moved = ddf.map_partitions(lambda p: p.reset_index(drop=True))
    assert moved.known_divisions
    ref = store.save(moved)
    assert ref.meta["divisions_known"] is False
    back = store.load(ref)
    assert not back.known_divisions and back.npartitions == 4
    pd.testing.assert_frame_equal(back.compute(), moved.compute(), check_exact=True)
    # one that keeps the index within the divisions keeps them (an empty partition too)
    kept = ddf.map_partitions(lambda p: p[p.f > 0.3])
    ref = store.save(kept)
    assert ref.meta["divisions_known"] is True
    assert store.load(ref).divisions == ddf.divisions
    # a datetime index: its divisions come back as the same timestamps
    by_time = dd.from_pandas(_frame().set_index("t"), npartitions=3)
    back = store.load(store.save(by_time))
    assert back.divisions == by_time.divisions
    assert all(isinstance(d, pd.Timestamp) and d.tz is not None for d in back.divisions)
    pd.testing.assert_frame_equal(
        back.loc["2026-01-10":"2026-01-20"].compute(),
        by_time.loc["2026-01-10":"2026-01-20"].compute(),
    )


def test_equal_partitions_with_other_divisions_are_other_artifacts(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    df = pd.DataFrame({"x": range(8)}, index=[0, 1, 2, 3, 6, 7, 8, 9])
    parts = dd.from_pandas(df, npartitions=2)
    assert parts.divisions == (0, 6, 9)
    other = dd.from_map(lambda i: df.iloc[i * 4 : i * 4 + 4], [0, 1], divisions=(0, 5, 9))
    a, b = store.save(parts), store.save(other)
    assert a.key != b.key
    assert store.load(a).divisions == (0, 6, 9) and store.load(b).divisions == (0, 5, 9)


def test_categoricals_keep_their_categories_in_every_partition(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    df = pd.DataFrame(
        {
            "n": pd.Categorical([3, 1, 2, 3, 1, 2, 3, 1]),  # Parquet decodes numbers
            "s": pd.Categorical(list("abcabcab"), categories=list("zcba"), ordered=True),
        }
    )
    ddf = dd.from_pandas(df, npartitions=2)
    emptied = ddf.map_partitions(lambda p: p.iloc[:0] if p.index[0] == 0 else p)
    for value in (ddf, emptied, ddf["n"]):
        back = store.load(store.save(value))
        for i in range(value.npartitions):
            part, want = back.partitions[i].compute(), value.partitions[i].compute()
            if isinstance(want, pd.Series):
                pd.testing.assert_series_equal(part, want, check_exact=True)
            else:
                pd.testing.assert_frame_equal(part, want, check_exact=True)


def test_equal_frames_share_a_key_and_untrusted_stores_read_them(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    r1 = store.save(dd.from_pandas(_frame(), npartitions=2))
    r2 = store.save(dd.from_pandas(_frame().copy(), npartitions=2))
    assert r1.key == r2.key
    assert len(list((tmp_path / "s" / "tables").glob("*/*"))) == 1
    reader = open_store(str(tmp_path / "s"), trusted=False)
    assert len(reader.load(r1).compute()) == 40


def test_a_failing_partition_fails_the_save_and_leaves_nothing(tmp_path: Path) -> None:
    def boom(part, partition_info=None):
        if partition_info["number"] == 1:
            raise KeyError("partition 1 is bad")
        return part

    store = open_store(str(tmp_path / "s"))
    ddf = dd.from_pandas(_frame(), npartitions=3).map_partitions(boom, meta=_frame().iloc[:0])
    with pytest.raises(KeyError, match="partition 1 is bad"):
        store.save(ddf)
    assert not (tmp_path / "s" / "tables").exists()
    assert not list((tmp_path / "s").glob("tmp/*"))


_STRAGGLER: dict[str, threading.Event] = {}


def _slow_or_bad(part: pd.DataFrame, partition_info: dict | None = None) -> pd.DataFrame:
    # A module-level function: dask-expr tokenizes map_partitions' function by its pickle.
    if partition_info["number"] == 0:
        _STRAGGLER["failed"].wait(1.0)
        _STRAGGLER["finished"].set()
    elif partition_info["number"] == 1:
        raise KeyError("partition 1 is bad")
    return part


def test_no_partition_writer_outlives_a_failed_save(tmp_path: Path) -> None:
    # As for arrays: a writer still running when another partition fails must be done
    # before the staging copy is removed.
    failed, finished = threading.Event(), threading.Event()
    _STRAGGLER.update(failed=failed, finished=finished)
    store = open_store(str(tmp_path / "s"))
    ddf = dd.from_pandas(_frame(), npartitions=2)
    ddf = ddf.map_partitions(_slow_or_bad, meta=_frame().iloc[:0])
    with dask.config.set(scheduler="threads", num_workers=2):
        with pytest.raises(KeyError, match="partition 1 is bad"):
            store.save(ddf)
    assert finished.is_set()  # the save waited for the straggler before it cleaned up
    failed.set()
    assert not (tmp_path / "s" / "tables").exists()
    assert not list((tmp_path / "s").glob("tmp/*"))


def test_a_damaged_partition_names_the_artifact(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    ref = store.save(dd.from_pandas(_frame(), npartitions=2))
    part = tmp_path / "s" / "tables" / shard(ref.key) / "part.000001.parquet"
    part.write_bytes(part.read_bytes()[:-10] + b"0123456789")
    back = store.load(ref, name="Flow/1/start/0/df")
    assert len(back.partitions[0].compute()) == 20
    with pytest.raises(ArtifactCorruptError, match="Flow/1/start/0/df"):
        back.compute()
