"""Dask collections saved on a real 2-worker cluster are written by both workers."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two single-threaded worker processes with a memory limit (its
    dashboard on a free port: 8787 may be another cluster's)."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit="1GiB",
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _writers(stream: list[dict], marker: str) -> set[str]:
    return {t["worker"] for t in stream if marker in str(t["key"])}


def test_a_dask_array_is_written_by_the_workers_that_compute_it(client, tmp_path: Path):
    from dflow.store import open_store

    store = open_store(str(tmp_path / "s"))
    x = da.random.default_rng(7).random((1600, 500), chunks=(100, 500))  # 16 chunks
    expected = float(x.sum().compute())
    with distributed.get_task_stream(client) as ts:
        ref = store.save(x)
    assert len(_writers(ts.data, "dflow-write-chunk")) == 2
    assert ref.meta["nchunks"] == 16
    y = store.load(ref)
    assert y.chunks == x.chunks
    assert float(y.sum().compute()) == pytest.approx(expected)
    assert not list((tmp_path / "s").glob("tmp/*"))


def test_a_dask_dataframe_is_written_by_both_workers(client, tmp_path: Path) -> None:
    from dflow.store import open_store

    store = open_store(str(tmp_path / "s"))
    df = pd.DataFrame({"a": np.arange(4000), "b": np.arange(4000) % 7})
    ddf = dd.from_pandas(df, npartitions=8)
    ddf = ddf.assign(c=ddf.a * 2)
    with distributed.get_task_stream(client) as ts:
        ref = store.save(ddf)
    assert len(_writers(ts.data, "write_partition")) == 2
    back = store.load(ref)
    assert back.divisions == ddf.divisions
    pd.testing.assert_frame_equal(back.compute(), ddf.compute())
