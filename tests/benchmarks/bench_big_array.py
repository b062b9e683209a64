"""Benchmark: a dask array bigger than the cluster's memory, from a flow's start to its next step.

Run by hand (pytest does not collect ``bench_*.py``)::

    python tests/benchmarks/bench_big_array.py --size 2        # GiB: a few minutes
    python tests/benchmarks/bench_big_array.py --size 16       # issue 10's case

What it does, in one invocation:

1. measures the disk under the store folder: a 2 GiB file written with fsync, then read
   back after its pages are dropped (``bench_dask_array.disk_limits``);
2. ``dflow cluster up --workers 2 --memory-limit 2GiB`` (its own ``DFLOW_HOME``, free
   ports), then ``python big_array_flow.py run`` in a fresh process, which finds that
   cluster: ``start`` makes a ``--size`` GiB random float64 dask array (chunks of
   ``--chunk-mib``), which the commit writes chunk by chunk on the workers; ``reduce``
   syncs and drops the store's pages, then reads the array back lazily and takes its mean
   on the cluster;
3. prints the write throughput (the save, from the end of ``start``'s body to the start
   of ``reduce``; and with the ``sync`` that makes it durable), the read throughput
   (the reduction over the stored chunks), each against the disk's own figure (goal:
   at least half), the cluster's time to generate and reduce the same array without
   the store (its CPU ceiling; ``--no-ceiling`` skips it), and the peak RSS of every
   process: scheduler, each ``dask worker`` and its worker process (their ``VmHWM``),
   and the driver (its ``ru_maxrss``) (goal: none above 2.5 GB);
4. stops the cluster and deletes the store (``--size 16`` writes 16 GiB).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_dask_array import disk_limits  # noqa: E402

FLOW = '''
import json
import os
import time
from pathlib import Path

from dflow import FlowSpec, Parameter, step


def drop_pages(folder):
    """Flush the store's files to the disk and drop them from the page cache."""
    os.sync()
    for root, _dirs, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)


class BigArrayBench(FlowSpec):
    gib = Parameter("gib", default=2.0, type=float)
    chunk_mib = Parameter("chunk_mib", default=64, type=int)
    ceiling = Parameter("ceiling", default=1, type=int)

    @step
    def start(self):
        import dask.array as da

        cols = 1024
        rows = int(self.gib * 2**30) // (8 * cols)
        chunk = max(1, self.chunk_mib * 2**20 // (8 * cols))
        self.x = da.random.default_rng(0).random((rows, cols), chunks=(chunk, cols))
        self.ceiling_seconds = None
        if self.ceiling:  # the same chunks generated and reduced, no store
            t = time.perf_counter()
            float(self.x.sum().compute())
            self.ceiling_seconds = time.perf_counter() - t
        self.nbytes = self.x.nbytes
        self.made_at = time.time()
        self.next(self.reduce)

    @step
    def reduce(self):
        self.started_at = time.time()
        t = time.perf_counter()
        drop_pages(Path(os.environ["DFLOW_STORE"]) / "arrays")
        self.drop_seconds = time.perf_counter() - t
        x = self.x
        t = time.perf_counter()
        self.mean = float(x.mean().compute())
        self.read_seconds = time.perf_counter() - t
        self.next(self.end)

    @step
    def end(self):
        print("RESULT", json.dumps({
            "nbytes": self.nbytes, "save": self.started_at - self.made_at,
            "sync": self.drop_seconds, "read": self.read_seconds, "mean": self.mean,
            "ceiling": self.ceiling_seconds,
        }))


if __name__ == "__main__":
    BigArrayBench()
'''


def _hwm_mb(pid: int) -> float | None:
    """A live process's peak RSS (``VmHWM``) in MB, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
    return int(found[1]) * 1024 / 1e6 if found else None


def _cluster_processes(home: Path) -> dict[str, psutil.Process]:
    """Every process of the recorded cluster, named by role (children included)."""
    record = json.loads((home / "cluster.json").read_text())
    out: dict[str, psutil.Process] = {}
    roots = [("scheduler", record["scheduler_pid"])]
    roots += [(f"worker {i}", pid) for i, pid in enumerate(record["worker_pids"])]
    for role, pid in roots:
        proc = psutil.Process(pid)
        out[f"{role} ({pid})"] = proc
        for child in proc.children(recursive=True):
            out[f"{role} > {_what_process(child)} ({child.pid})"] = child
    return out


def _what_process(proc: psutil.Process) -> str:
    try:
        line = " ".join(proc.cmdline())
    except psutil.Error:
        return proc.name()
    if "resource_tracker" in line:
        return "resource tracker"
    return "worker process" if "spawn" in line or "forkserver" in line else proc.name()


class Sampler(threading.Thread):
    """Samples the RSS of the cluster's processes (to see the peak of processes that die)."""

    def __init__(self, home: Path) -> None:
        super().__init__(daemon=True)
        self.home, self.peak, self.stop = home, {}, threading.Event()

    def run(self) -> None:  # noqa: D102
        while not self.stop.wait(0.5):
            try:
                for name, proc in _cluster_processes(self.home).items():
                    rss = proc.memory_info().rss / 1e6
                    self.peak[name] = max(self.peak.get(name, 0.0), rss)
            except (psutil.Error, OSError, KeyError, ValueError):
                continue


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark once; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=2.0, help="array size in GiB")
    parser.add_argument("--chunk-mib", type=int, default=64)
    parser.add_argument("--memory-limit", default="2GiB")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the no-store run")
    parser.add_argument("--dir", default="/work", help="where the store is made")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-big-array-", dir=args.dir))
    home = work / "home"
    env = dict(os.environ, DFLOW_HOME=str(home), DFLOW_STORE=str(work / ".dflow"))
    env.pop("DFLOW_SCHEDULER", None)
    dflow = [sys.executable, "-m", "dflow.cli.main"]
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M')}  load average {os.getloadavg()[0]:.1f}  "
        f"cores {os.cpu_count()}  RAM {psutil.virtual_memory().total / 2**30:.0f} GiB  "
        f"folder {work}",
        flush=True,
    )
    sampler = Sampler(home)
    try:
        dw, dr = disk_limits(work)
        print(f"disk: write {dw:,.0f} MB/s (fsync), read {dr:,.0f} MB/s (pages dropped)")
        up = [*dflow, "cluster", "up", "--workers", "2", "--memory-limit", args.memory_limit]
        up += ["--port", "0", "--dashboard-port", "0"]
        subprocess.run(up, env=env, check=True, capture_output=True, text=True)
        sampler.start()
        (work / "big_array_flow.py").write_text(FLOW)
        argv = [sys.executable, "big_array_flow.py", "run", "--gib", str(args.size)]
        argv += ["--chunk_mib", str(args.chunk_mib)]
        argv += ["--ceiling", "0" if args.no_ceiling else "1"]
        t0 = time.perf_counter()
        driver = subprocess.Popen(argv, cwd=work, env=env, stdout=subprocess.PIPE, text=True)
        out = driver.stdout.read()
        _pid, status, usage = os.wait4(driver.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            print(out[-3000:])
            raise SystemExit("the flow failed")
        result = json.loads(re.search(r"RESULT (\{.*\})", out)[1])
        peaks = {name: _hwm_mb(p.pid) for name, p in _cluster_processes(home).items()}
        mb = result["nbytes"] / 1e6
        save, sync, read = result["save"], result["sync"], result["read"]
        print(
            f"array: {args.size:g} GiB in chunks of {args.chunk_mib} MiB; workers: 2 x "
            f"{args.memory_limit}; whole run {wall:.1f} s; mean {result['mean']:.5f}"
        )
        if result["ceiling"]:
            c = result["ceiling"]
            print(f"generate + sum, no store:  {c:7.1f} s {mb / c:7.0f} MB/s (the CPU ceiling)")
        print(
            f"save (generate + write):   {save:7.1f} s {mb / save:7.0f} MB/s "
            f"({mb / save / dw:.0%} of the disk's write)"
        )
        print(
            f"save + sync (durable):     {save + sync:7.1f} s {mb / (save + sync):7.0f} MB/s "
            f"({mb / (save + sync) / dw:.0%} of the disk's write)"
        )
        print(
            f"read + mean (pages dropped): {read:5.1f} s {mb / read:7.0f} MB/s "
            f"({mb / read / dr:.0%} of the disk's read)"
        )
        print("peak RSS (MB):")
        sampled = sampler.peak
        for name, peak in sorted(peaks.items()):
            print(f"  {name:40s} {peak or 0:8,.0f}   (sampled {sampled.get(name, 0):,.0f})")
        driver_mb = usage.ru_maxrss * 1024 / 1e6
        print(f"  {'driver (python big_array_flow.py run)':40s} {driver_mb:8,.0f}")
        top = max([driver_mb, *[p or 0 for p in peaks.values()]])
        print(f"largest process: {top:,.0f} MB (goal: none above 2,500 MB)")
    finally:
        sampler.stop.set()
        subprocess.run([*dflow, "cluster", "down"], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
