"""Compute-scaling benchmark: a step's ``.compute()`` on 2 workers against 1 (issue 10).

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_compute.py                 # 3 repeats, 64 MiB of work
    python tests/benchmarks/bench_compute.py --mib 256 --repeat 5

A step builds a CPU-bound array reduction (random numbers, elementwise transcendental
functions, a sum; numpy runs each chunk on one core) and computes it inside the step, so
the chunks run on the run's cluster. The same flow runs on a LocalCluster of one worker
and of two workers (one thread each, processes); the time measured is the step's own
``.compute()`` (recorded by the step), cluster start and the run's overhead excluded.
Prints the medians and the ratio (goal: at least 1.8x on a machine with 2 free cores).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time

from dflow import FlowSpec, Parameter, step


class ComputeScalingFlow(FlowSpec):
    """One step computes a CPU-bound reduction of a dask array."""

    mib = Parameter("mib", default=64, type=int, help="array size in MiB")

    @step
    def start(self):
        import dask.array as da

        side = int((self.mib * 2**20 / 8) ** 0.5)
        x = da.random.default_rng(0).random((side, side), chunks=(side // 16, side))
        work = (da.sin(x) ** 2 + da.cos(x) * da.exp(-x) + da.sqrt(x)).sum()
        began = time.perf_counter()
        self.total = float(work.compute())
        self.seconds = time.perf_counter() - began
        self.next(self.end)

    @step
    def end(self):
        pass


def one_run(workers: int, mib: int, store: str) -> float:
    """The step's compute time on a fresh cluster of ``workers`` one-thread workers."""
    from distributed import LocalCluster

    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.CRITICAL,
        env=env,
    ) as cluster:
        result = ComputeScalingFlow.run(
            mib=mib, scheduler=cluster.scheduler_address, store=store, quiet=True
        )
    if not result.successful:
        raise SystemExit(f"run failed: {result.error}")
    return result.run["start"].task.data.seconds


def main() -> None:
    """Measure, then print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.mib} MiB reduction; medians of {args.repeat}")
    times: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # interleaved, so a noisy moment hits both sides
            for n in times:
                times[n].append(one_run(n, args.mib, f"{tmp}/store"))
    for n, values in times.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"{n} worker(s): median {statistics.median(values):.2f} s  ({shown})")
    ratio = statistics.median(times[1]) / statistics.median(times[2])
    print(f"speed-up 2 workers / 1 worker: {ratio:.2f}x (goal >= 1.8x)")


if __name__ == "__main__":
    main()
