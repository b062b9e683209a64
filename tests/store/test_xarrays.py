"""xarray Datasets and DataArrays are stored variable by variable (zarr, dask-zarr)."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import pandas as pd
import pytest

from dflow.store import open_store

xr = pytest.importorskip("xarray")


def _dataset():
    return xr.Dataset(
        {
            "temp": (("time", "x"), np.arange(40.0).reshape(10, 4), {"units": "K"}),
            "lazy": (("time", "x"), da.ones((10, 4), chunks=(5, 4))),
        },
        coords={"time": pd.date_range("2026-01-01", periods=10), "x": [10, 20, 30, 40]},
        attrs={"source": "sensor"},
    )


def test_a_dataset_round_trips_with_dask_variables_lazy(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    ds = _dataset()
    ref = store.save(ds)
    assert ref.encoding == "xarray" and ref.meta["dims"] == {"time": 10, "x": 4}
    assert ref.describe() == "dataset (time: 10, x: 4) variables temp, lazy"
    back = open_store(str(tmp_path / "s"), trusted=False).load(ref)
    assert isinstance(back["lazy"].data, da.Array)
    xr.testing.assert_identical(back.compute(), ds.compute())
    assert store.save(_dataset()).key == ref.key


def test_a_dataarray_round_trips_with_its_name_and_attrs(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    arr = _dataset()["temp"].rename("t2")
    back = store.load(store.save(arr))
    xr.testing.assert_identical(back, arr)


def test_object_variables_fall_back_to_pickle_with_the_reason(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    ds = xr.Dataset({"o": ("x", np.array([{"a": 1}, None], dtype=object))})
    ref = store.save(ds)
    assert ref.encoding == "pickle" and "variable 'o'" in ref.meta["reason"]
