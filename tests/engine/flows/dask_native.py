"""Flows whose steps use the cluster they run on (tests/engine/test_dask_native.py)."""

import time

from dflow import FlowSpec, Parameter, current, retry, step, timeout


def _where(_):
    """A chunk's task: say which worker ran it (None off a cluster)."""
    time.sleep(0.05)  # long enough that one worker cannot take every chunk alone
    try:
        from distributed import get_worker

        return get_worker().address
    except ValueError:
        return None


class ComputeFlow(FlowSpec):
    """A step computes a Dask collection, and submits work through current.client."""

    @step
    def start(self):
        import dask.array as da
        import dask.bag as db

        self.total = int(da.ones((400, 400), chunks=(100, 100)).sum().compute())
        self.chunk_workers = sorted(
            {w for w in db.from_sequence(range(24), npartitions=24).map(_where).compute() if w}
        )
        client = current.client
        self.client_type = None if client is None else type(client).__name__
        self.client_scheduler = None if client is None else client.scheduler.address
        if client is not None:  # a future waited on inside the step: no deadlock
            self.submitted = client.submit(sum, [1, 2, 3], pure=False).result()
        self.next(self.end)

    @step
    def end(self):
        pass


class TimeoutComputeFlow(FlowSpec):
    """A @timeout step (its own thread) computes on the cluster."""

    @timeout(seconds=120)
    @step
    def start(self):
        import dask.array as da

        self.total = int(da.ones((200, 200), chunks=(50, 50)).sum().compute())
        client = current.client
        self.has_client = client is not None
        if client is not None:
            self.submitted = client.submit(sum, [4, 5], pure=False).result()
        self.next(self.end)

    @step
    def end(self):
        pass


class AlphaFlow(FlowSpec):
    """One parameter, one artifact derived from it."""

    alpha = Parameter("alpha", default=1.0, type=float)

    @step
    def start(self):
        self.double = self.alpha * 2
        self.next(self.end)

    @step
    def end(self):
        pass


class RetryWaitFlow(FlowSpec):
    """Fails once, then waits 6 s before its second attempt."""

    @retry(times=1, minutes_between_retries=0.1)
    @step
    def start(self):
        if current.retry_count == 0:
            raise RuntimeError("first attempt fails")
        self.next(self.end)

    @step
    def end(self):
        pass


class BigArrayFlow(FlowSpec):
    """A dask array of ``mib`` MiB made in start, reduced in the next step."""

    mib = Parameter("mib", default=64, type=int)

    @step
    def start(self):
        import dask.array as da

        rows = self.mib * 2**20 // (8 * 1024)
        self.x = da.random.default_rng(1).random((rows, 1024), chunks=(1024, 1024))  # 8 MiB
        self.next(self.reduce)

    @step
    def reduce(self):
        self.mean = float(self.x.mean().compute())
        self.rows = self.x.shape[0]
        self.next(self.end)

    @step
    def end(self):
        pass


class IssueDataFlow(FlowSpec):
    """Issue 10's first list: a dask array, a pandas frame and a dask dataframe made in
    start; the next step reads all three back and reduces them on the cluster."""

    @step
    def start(self):
        import dask.array as da
        import dask.dataframe as dd
        import numpy as np
        import pandas as pd

        n = 20_000
        self.x = da.random.default_rng(0).random((1000, 1000), chunks=(250, 1000))
        self.df = pd.DataFrame(
            {
                "when": pd.date_range("2026-01-01", periods=n, freq="min", tz="UTC"),
                "shop": pd.Categorical([f"s{i % 7}" for i in range(n)]),
                "qty": pd.array(np.arange(n) % 11, dtype="Int64"),
                "item": pd.Series([f"w{i % 100}" for i in range(n)], dtype="str"),
            }
        )
        base = pd.DataFrame({"k": np.arange(n) % 3, "y": np.arange(n, dtype="f8")})
        self.ddf = dd.from_pandas(base, npartitions=4)
        self.next(self.use)

    @step
    def use(self):
        from dask.utils import key_split

        self.kinds = [
            type(v).__module__ + "." + type(v).__name__ for v in (self.x, self.df, self.ddf)
        ]
        self.x_tasks = sorted({key_split(k) for k in dict(self.x.__dask_graph__())})
        self.ddf_tasks = sorted({key_split(k) for k in dict(self.ddf.__dask_graph__())})
        self.on_cluster = current.client is not None
        self.x_sum = float(self.x.sum().compute())
        self.sums = {int(k): v for k, v in self.ddf.groupby("k").y.sum().compute().items()}
        self.qty = int(self.df["qty"].sum())
        self.next(self.end)

    @step
    def end(self):
        pass


class KeptLazyFlow(FlowSpec):
    """The next step reads one stored dask array and leaves it, and changes another."""

    @step
    def start(self):
        import dask.array as da

        self.x = da.arange(400, chunks=100, dtype="f8")
        self.y = da.arange(400, chunks=100, dtype="f8")
        self.next(self.use)

    @step
    def use(self):
        self.n = int(self.x.shape[0])  # read, left as it was
        self.y[0] = -1.0  # changed in place: a new graph, a new artifact
        self.next(self.end)

    @step
    def end(self):
        self.total = float(self.y.sum().compute())
