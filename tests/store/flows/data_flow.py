"""A flow whose artifacts are a dask array, a pandas frame and a dask dataframe."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd

from dflow import FlowSpec, step


class DataFlow(FlowSpec):
    """start makes the data; end reads it back lazily and reduces it."""

    @step
    def start(self):
        self.x = da.arange(40_000, chunks=10_000, dtype="f8").reshape(200, 200)
        self.df = pd.DataFrame(
            {"c": pd.Categorical(["a", "b"] * 50), "v": pd.array(range(100), dtype="Int64")},
            index=pd.date_range("2026-01-01", periods=100, tz="UTC", name="when"),
        )
        self.ddf = dd.from_pandas(pd.DataFrame({"k": np.arange(60) % 3, "y": np.arange(60)}), 3)
        self.next(self.end)

    @step
    def end(self):
        assert isinstance(self.x, da.Array) and self.x.chunks == ((50,) * 4, (200,))
        self.total = float(self.x.sum().compute())
        self.first = int(self.df["v"].iloc[0])
        self.sums = self.ddf.groupby("k").y.sum().compute().to_dict()
