"""Benchmark: a pandas frame through the dflow store against pickle + gzip and Parquet by hand.

Run by hand (pytest does not collect ``bench_*.py``)::

    python tests/benchmarks/bench_frames.py --rows 10000000 --repeat 3

The frame has 8 columns with realistic redundancy: a sorted int id, a minute timestamp
(tz-aware), a 50-value categorical, a text column from 1,000 words, a price rounded to
cents, a small-range int quantity, a bool flag and one column of random floats. Cases
(each a save then a load through local files, in this process): the dflow store (its
``arrow`` codec), Metaflow's way (pickle + gzip level 3), ``df.to_parquet`` /
``pd.read_parquet`` by hand, and Arrow IPC / Parquet variants that informed the codec's
choice. Prints medians of save, load and size, and the ratios the issue sets goals for.
"""

from __future__ import annotations

import argparse
import gzip
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather


def make_frame(rows: int) -> pd.DataFrame:
    """The benchmark frame (see the module docstring); deterministic."""
    rng = np.random.default_rng(0)
    words = np.array([f"word{i:04d}" for i in range(1000)])
    return pd.DataFrame(
        {
            "id": np.arange(rows, dtype=np.int64),
            "when": pd.date_range("2026-01-01", periods=rows, freq="min", tz="UTC"),
            "shop": pd.Categorical.from_codes(
                rng.integers(0, 50, rows), [f"s{i}" for i in range(50)]
            ),
            "item": pd.Series(words[rng.integers(0, 1000, rows)], dtype="str"),
            "price": np.round(rng.gamma(2.0, 10.0, rows), 2),
            "qty": rng.integers(0, 100, rows, dtype=np.int32),
            "promo": rng.random(rows) < 0.1,
            "noise": rng.standard_normal(rows),
        }
    )


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def case_dflow(df, folder: Path):
    from dflow.store import open_store

    store = open_store(str(folder / "store"))
    t_save, ref = _timed(lambda: store.save(df))
    t_load, back = _timed(lambda: store.load(ref))
    assert ref.encoding == "arrow" and back.shape == df.shape
    size = sum(p.stat().st_size for p in (folder / "store" / "objects").rglob("*") if p.is_file())
    return t_save, t_load, size


def case_pickle_gzip(df, folder: Path):
    path = folder / "df.pkl.gz"

    def save():
        with gzip.open(path, "wb", compresslevel=3) as f:
            pickle.dump(df, f, protocol=4)

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
    "dflow store (arrow codec)": case_dflow,
    "pickle + gzip-3 (Metaflow)": case_pickle_gzip,
    "to_parquet/read_parquet by hand": case_parquet_by_hand,
    "Arrow IPC zstd": _ipc_case("zstd"),
    "Arrow IPC lz4": _ipc_case("lz4"),
    "Arrow IPC uncompressed": _ipc_case("uncompressed"),
    "Parquet zstd": _parquet_case("zstd"),
}


def main(argv: list[str] | None = None) -> None:
    """Run every case ``--repeat`` times; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="names of cases to run (substrings)")
    args = parser.parse_args(argv)
    df = make_frame(args.rows)
    print(
        f"frame: {args.rows:,} rows x {df.shape[1]} columns, "
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
                runs.append(case(df, folder))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        save, load, size = (statistics.median(r[i] for r in runs) for i in range(3))
        results[name] = (save, load, size)
        print(
            f"{name:34s} save {save:6.2f} s  load {load:6.2f} s  "
            f"total {save + load:6.2f} s  size {size / 1e6:7.1f} MB",
            flush=True,
        )
    ours = results.get("dflow store (arrow codec)")
    for other in ("pickle + gzip-3 (Metaflow)", "to_parquet/read_parquet by hand"):
        if ours and other in results:
            o = results[other]
            print(
                f"vs {other}: save+load {o[0] + o[1]:.2f} s / {ours[0] + ours[1]:.2f} s = "
                f"{(o[0] + o[1]) / (ours[0] + ours[1]):.2f}x faster; "
                f"disk {ours[2] / o[2]:.2f}x of theirs"
            )


if __name__ == "__main__":
    sys.exit(main())
