"""Steps that use the cluster they run on, and an artifact larger than a worker's memory.

    python examples/dask_data.py run                      # a 64 MiB array (quick)
    python examples/dask_data.py run --mib 16384 --scheduler tcp://HOST:8786
                                                          # 16 GiB on two 2 GiB workers
    python examples/dask_data.py run --scheduler sync     # in-process, local threads

``start`` builds a chunked ``dask.array`` without computing it; at commit its chunks are
computed and written by the cluster's workers, never gathered into one process. ``reduce``
reads ``self.x`` back lazily and reduces it on the whole cluster (``.compute()`` inside a
step runs on the run's cluster; the step's own task waits without holding its worker
slot). ``frame`` computes a dask dataframe ``groupby`` the same way and keeps a pandas
frame. Afterwards::

    from dflow import Flow
    run = Flow("DaskDataFlow").latest_successful_run
    run.data.mean, run.data.by_key
"""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd

from dflow import FlowSpec, Parameter, current, step

COLUMNS = 1024  # float64 columns: one row is 8 KiB


class DaskDataFlow(FlowSpec):
    """A big array made in one step and reduced in the next; a dataframe beside it."""

    mib = Parameter("mib", default=64, type=int, help="size of the array in MiB")
    chunk_mib = Parameter("chunk_mib", default=8, type=int, help="size of one chunk in MiB")

    @step
    def start(self):
        """A lazy random array of ``mib`` MiB: stored chunk by chunk at commit."""
        rows = self.mib * 2**20 // (8 * COLUMNS)
        chunk_rows = max(1, self.chunk_mib * 2**20 // (8 * COLUMNS))
        rng = da.random.default_rng(42)
        self.x = rng.random((rows, COLUMNS), chunks=(chunk_rows, COLUMNS))
        print(f"x: {self.x.shape} in {self.x.npartitions} chunks ({self.mib} MiB)")
        self.next(self.reduce, self.frame)

    @step
    def reduce(self):
        """Reduce the stored array on the cluster: no process ever holds all of it."""
        client = current.client  # None under --scheduler sync
        where = f"{len(client.scheduler_info()['workers'])} workers" if client else "threads"
        self.mean = float(self.x.mean().compute())
        self.column_std = self.x.std(axis=0).compute()  # 1024 numbers
        print(f"mean {self.mean:.4f} over {self.x.size:,} values, computed on {where}")
        self.next(self.join)

    @step
    def frame(self):
        """A pandas frame kept as an artifact, and a dask dataframe groupby."""
        rng = np.random.default_rng(7)
        n = 200_000
        self.table = pd.DataFrame(
            {
                "key": pd.Categorical(rng.choice(list("abcdefgh"), n)),
                "value": rng.standard_normal(n),
            }
        )
        frame = dd.from_pandas(self.table, npartitions=8)
        self.by_key = frame.groupby("key", observed=True)["value"].mean().compute()
        print(f"groupby over {n:,} rows in {frame.npartitions} partitions")
        self.next(self.join)

    @step
    def join(self, inputs):
        """Keep the reductions of both branches."""
        self.mean = inputs.reduce.mean
        self.by_key = inputs.frame.by_key
        self.next(self.end)

    @step
    def end(self):
        """Print the results."""
        print(f"mean {self.mean:.4f}; mean value per key:\n{self.by_key.round(3)}")


if __name__ == "__main__":
    DaskDataFlow()
