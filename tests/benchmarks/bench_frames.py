"""Benchmark: a pandas frame through the dflow store against pickle + gzip and Parquet by hand.

Run by hand (pytest does not collect ``bench_*.py``)::

    python tests/benchmarks/bench_frames.py --rows 10000000 --repeat 3
    python tests/benchmarks/bench_frames.py --rows 10000000 --flows   # also between steps

The frame (``flows_bench.make_frame``) has 8 columns with realistic redundancy: a sorted
int id, a minute timestamp (tz-aware), a 50-value categorical, a text column from 1,000
words, a price rounded to cents, a small-range int quantity, a bool flag and one column
of random floats. Cases (each a save then a load through local files, in this process):
the dflow store (its ``parquet`` codec), Metaflow's way (pickle + gzip level 3, as its
content-addressed store does, plus its SHA-1 of the pickle), ``df.to_parquet`` /
``pd.read_parquet`` by hand, and Arrow IPC / Parquet variants that informed the codec's
choice. Prints medians of save, load, their CPU time and size, and the ratios the issue
sets goals for. ``--flows`` also passes the frame from ``start`` to the next step of a
real flow, in dflow (embedded cluster) and in Metaflow, each in a fresh process: the
save + hand-off (end of ``start`` to the start of the next step) and the load (first
access to ``self.df``) as the steps measure them.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import pickle
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

sys.path.insert(0, str(Path(__file__).parent))
from bench_engine import find_metaflow, measure  # noqa: E402
from flows_bench import make_frame, render  # noqa: E402


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    _CPU.append(time.process_time() - c0)
    return time.perf_counter() - t0, out


_CPU: list[float] = []  # CPU seconds of every timed call, read per case by main()


def case_dflow(df, folder: Path):
    from dflow.store import open_store

    store = open_store(str(folder / "store"))
    t_save, ref = _timed(lambda: store.save(df))
    t_load, back = _timed(lambda: store.load(ref))
    assert ref.encoding == "parquet" and back.shape == df.shape
    size = sum(p.stat().st_size for p in (folder / "store" / "objects").rglob("*") if p.is_file())
    return t_save, t_load, size


def case_pickle_gzip(df, folder: Path):
    path = folder / "df.pkl.gz"

    def save():
        blob = pickle.dumps(df, protocol=4)
        hashlib.sha1(blob).hexdigest()  # Metaflow's key
        with gzip.open(path, "wb", compresslevel=3) as f:
            f.write(blob)

    def load():
        with gzip.open(path, "rb") as f:
            return pickle.load(f)

    t_save, _ = _timed(save)
    t_load, _ = _timed(load)
    return t_save, t_load, path.stat().st_size


def _file_case(save, load, path: Path):
    t_save, _ = _timed(save)
    t_load, _ = _timed(load)
    return t_save, t_load, path.stat().st_size


def case_parquet_by_hand(df, folder: Path):
    path = folder / "df.parquet"
    return _file_case(lambda: df.to_parquet(path), lambda: pd.read_parquet(path), path)


def _ipc_case(compression):
    def case(df, folder: Path):
        path = folder / "df.arrow"

        def save():
            feather.write_feather(pa.Table.from_pandas(df), path, compression=compression)

        return _file_case(save, lambda: feather.read_table(path).to_pandas(), path)

    return case


def _parquet_case(compression):
    def case(df, folder: Path):
        path = folder / "df.parquet"
        return _file_case(
            lambda: df.to_parquet(path, compression=compression),
            lambda: pd.read_parquet(path),
            path,
        )

    return case


CASES = {
    "dflow store (parquet codec)": case_dflow,
    "pickle + gzip-3 (Metaflow)": case_pickle_gzip,
    "to_parquet/read_parquet by hand": case_parquet_by_hand,
    "Arrow IPC zstd": _ipc_case("zstd"),
    "Arrow IPC lz4": _ipc_case("lz4"),
    "Arrow IPC uncompressed": _ipc_case("uncompressed"),
    "Parquet zstd": _parquet_case("zstd"),
}


def flow_cases(rows: int, repeat: int, metaflow_python: str | None) -> None:
    """Pass the frame between two steps of a real flow, in dflow and in Metaflow."""
    work = Path(tempfile.mkdtemp(prefix="bench-frames-flows-", dir="/work"))
    env = dict(
        os.environ,
        DFLOW_STORE=str(work / ".dflow"),
        DFLOW_HOME=str(work / "home"),
        METAFLOW_DEFAULT_DATASTORE="local",
        USERNAME="bench",
    )
    env.pop("DFLOW_SCHEDULER", None)
    systems = {"dflow": sys.executable}
    mf_python = find_metaflow(metaflow_python)
    if mf_python:
        systems["metaflow"] = mf_python
    else:
        print("# Metaflow not found: only dflow runs between steps")
    try:
        for system, python in systems.items():
            folder = work / system
            folder.mkdir()
            (folder / "frame_flow.py").write_text(render("frame", system))
            runs = []
            for _ in range(repeat):
                out = measure(folder, [python, "frame_flow.py", "run", "--rows", str(rows)], env)
                found = re.search(r"save\+handoff ([\d.]+) load ([\d.]+)", out["out"])
                runs.append((out["wall"], float(found[1]), float(found[2]), out["peak_mb"]))
            wall, handoff, load = (statistics.median(r[i] for r in runs) for i in range(3))
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            if system == "dflow":
                size = sum(p.stat().st_size for p in (work / ".dflow").rglob("*") if p.is_file())
            print(
                f"between steps, {system:8s}: save+handoff {handoff:6.2f} s  load {load:6.2f} s"
                f"  sum {handoff + load:6.2f} s  whole run {wall:6.2f} s  peak "
                f"{max(r[3] for r in runs):.0f} MB  store {size / 1e6 / repeat:.0f} MB a run",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """Run every case ``--repeat`` times; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="names of cases to run (substrings)")
    parser.add_argument("--flows", action="store_true", help="also between two steps of a flow")
    parser.add_argument("--metaflow-python", default=None)
    args = parser.parse_args(argv)
    df = make_frame(args.rows)
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M')} load average {os.getloadavg()[0]:.1f}; frame: "
        f"{args.rows:,} rows x {df.shape[1]} columns, "
        f"{df.memory_usage(deep=True).sum() / 1e6:.0f} MB in memory"
    )
    results = {}
    for name, case in CASES.items():
        if args.only and not any(o in name for o in args.only):
            continue
        runs = []
        for _ in range(args.repeat):
            folder = Path(tempfile.mkdtemp(prefix="bench-frames-", dir="/work"))
            try:
                del _CPU[:]
                runs.append((*case(df, folder), sum(_CPU)))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        save, load, size, cpu = (statistics.median(r[i] for r in runs) for i in range(4))
        results[name] = (save, load, size, cpu)
        print(
            f"{name:34s} save {save:6.2f} s  load {load:6.2f} s  "
            f"total {save + load:6.2f} s  cpu {cpu:6.2f} s  size {size / 1e6:7.1f} MB",
            flush=True,
        )
    ours = results.get("dflow store (parquet codec)")
    for other in ("pickle + gzip-3 (Metaflow)", "to_parquet/read_parquet by hand"):
        if ours and other in results:
            o = results[other]
            print(
                f"vs {other}: save+load {o[0] + o[1]:.2f} s / {ours[0] + ours[1]:.2f} s = "
                f"{(o[0] + o[1]) / (ours[0] + ours[1]):.2f}x faster (CPU "
                f"{o[3] / ours[3]:.2f}x); disk {ours[2] / o[2]:.2f}x of theirs"
            )
    if args.flows:
        flow_cases(args.rows, args.repeat, args.metaflow_python)


if __name__ == "__main__":
    sys.exit(main())
