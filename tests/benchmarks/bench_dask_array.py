"""Benchmark: a dask array larger than any worker, saved to the store and reduced from it.

Run by hand (pytest does not collect ``bench_*.py``)::

    python tests/benchmarks/bench_dask_array.py                       # 1 GiB, quick
    python tests/benchmarks/bench_dask_array.py --size-gb 16 --memory-limit 2GiB

Starts a LocalCluster of 2 single-threaded worker processes with ``--memory-limit``
each, makes a random float64 array of ``--size-gb`` (chunks of ``--chunk-mb``) on the
workers and saves it with ``Store.save`` (what a step's commit does: every chunk written
by the worker that computes it), then loads it back lazily and reduces it (what the next
step does). Prints write and read MB/s against the disk's own measured limits (a file
written with fsync, read back after dropping its pages), peak RSS per process, and
whether any worker was paused, spilled or restarted; also the time to generate and
reduce the array without the store (the CPU ceiling of the save on this machine). The
store is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def disk_limits(folder: Path, size: int = 2 << 30) -> tuple[float, float]:
    """(write, read) MB/s of one file on ``folder``'s disk (fsync; pages dropped first)."""
    path = folder / "disk-probe"
    block = os.urandom(64 << 20)
    t0 = time.perf_counter()
    with open(path, "wb") as f:
        for _ in range(size // len(block)):
            f.write(block)
        f.flush()
        os.fsync(f.fileno())
    write = size / (time.perf_counter() - t0) / 1e6
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    t0 = time.perf_counter()
    while os.read(fd, 64 << 20):
        pass
    read = size / (time.perf_counter() - t0) / 1e6
    os.close(fd)
    path.unlink()
    return write, read


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _drop_pages(folder: Path) -> None:
    """Drop the page cache of the store's own files (so reads come from the disk)."""
    for p in folder.rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark once; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--memory-limit", default="2GiB")
    parser.add_argument("--chunk-mb", type=int, default=64)
    parser.add_argument("--dir", default="/work", help="where the store is made")
    args = parser.parse_args(argv)

    import dask.array as da
    import distributed
    from dask.utils import format_bytes

    from dflow.store import open_store

    folder = Path(tempfile.mkdtemp(prefix="bench-dask-array-", dir=args.dir))
    try:
        dw, dr = disk_limits(folder)
        print(f"disk: write {dw:,.0f} MB/s (fsync), read {dr:,.0f} MB/s (pages dropped)")
        cols = 1024
        rows = int(args.size_gb * (1 << 30)) // (8 * cols)
        chunk_rows = max(1, (args.chunk_mb << 20) // (8 * cols))
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                memory_limit=args.memory_limit,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            x = da.random.default_rng(0).random((rows, cols), chunks=(chunk_rows, cols))
            print(
                f"array: {format_bytes(x.nbytes)} in {x.npartitions} chunks of "
                f"{format_bytes(chunk_rows * cols * 8)}; workers: 2 x {args.memory_limit}"
            )
            t0 = time.perf_counter()
            float(x.sum().compute())
            t_gen = time.perf_counter() - t0
            store = open_store(str(folder / "store"))
            t0 = time.perf_counter()
            ref = store.save(x)
            t_write = time.perf_counter() - t0
            _drop_pages(folder / "store")
            t0 = time.perf_counter()
            total = float(store.load(ref).sum().compute())
            t_read = time.perf_counter() - t0
            mb = x.nbytes / 1e6
            print(
                f"generate + sum, no store: {t_gen:6.1f} s  {mb / t_gen:7.0f} MB/s "
                "(the cluster's own ceiling for the save below)"
            )
            print(
                f"save (generate + write): {t_write:6.1f} s  {mb / t_write:7.0f} MB/s "
                f"({mb / t_write / dw:.0%} of the disk's write)"
            )
            print(
                f"load + sum (read):       {t_read:6.1f} s  {mb / t_read:7.0f} MB/s "
                f"({mb / t_read / dr:.0%} of the disk's read); mean {total / x.size:.4f}"
            )
            rss = client.run(_peak_rss_mb)
            for addr, peak in sorted(rss.items()):
                print(f"worker {addr}: peak RSS {peak:,.0f} MB")
            print(f"driver: peak RSS {_peak_rss_mb():,.0f} MB")
            info = client.scheduler_info()["workers"]
            spilled = {a: w.get("metrics", {}).get("spilled_bytes", {}) for a, w in info.items()}
            print(f"workers still the first two: {len(info) == 2}; spilled: {spilled}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
