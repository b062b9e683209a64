"""A flow's dask array, pandas frame and dask dataframe are stored as data (never pickles)
and read back lazily by the next step and by the client."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import dask.dataframe as dd
import pandas as pd
import pytest

from dflow.errors import StoreError
from dflow.flowfile import load_flow

FLOWS = Path(__file__).resolve().parent / "flows"


def test_collections_and_frames_flow_as_data_between_steps(tmp_path: Path) -> None:
    flow = load_flow(f"{FLOWS}/data_flow.py:DataFlow")
    store_url = str(tmp_path / "store")
    result = flow.run(store=store_url, scheduler="sync", quiet=True)
    assert result.successful
    run = result.run
    start = run["start"].task
    arts = start.artifacts
    assert {a: arts[a].encoding for a in ("x", "df", "ddf")} == {
        "x": "dask-zarr",
        "df": "parquet",
        "ddf": "dask-parquet",
    }
    assert arts["x"].meta["shape"] == [200, 200]
    assert arts["x"].describe() == "array (200, 200) float64, chunks (50, 200)"
    assert arts["ddf"].meta["npartitions"] == 3
    x = arts["x"].dask_array()
    assert isinstance(x, da.Array) and len(arts["x"].to_delayed().ravel()) == 4
    assert float(x.sum().compute()) == run["end"].task.data.total == sum(range(40_000))
    assert isinstance(arts["ddf"].dask_dataframe(), dd.DataFrame)
    assert len(arts["ddf"].to_delayed()) == 3
    assert run["end"].task.data.sums == {0: 570, 1: 590, 2: 610}
    frame = arts["df"].data
    assert isinstance(frame.index, pd.DatetimeIndex) and str(frame.index.tz) == "UTC"
    assert arts["df"].dask_dataframe().compute().equals(frame)
    with pytest.raises(StoreError, match="no view as a dask array"):
        arts["df"].dask_array()
    with pytest.raises(StoreError, match="no view as a dask dataframe"):
        arts["x"].dask_dataframe()
