"""Benchmark: a large float64 array through the dflow store vs. pickle + gzip files.

Run by hand (pytest does not collect ``bench_*.py``)::

    python tests/benchmarks/bench_store.py --size-mb 512 --repeat 3

Each case runs in its own subprocess so its peak memory (ru_maxrss, minus the
interpreter's baseline after imports) is its own. Cases: the store on a local folder, the
store on a moto S3 server started on 127.0.0.1, the same bytes put and got whole by s3fs
on that server (the reference of the S3 case), and pickle + gzip into a file (what
Metaflow does). Prints save / load MB/s, hashing speed, peak memory and the ratios.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_case(case: str, size_mb: int, url: str, options: dict) -> dict:
    """One save + load round trip in this process; returns timings and peak memory."""
    import dflow.store  # noqa: F401 - import cost outside the timings

    arr = np.random.default_rng(0).random(size_mb * (1 << 20) // 8)
    base = _rss_mb()
    t0 = time.perf_counter()
    if case == "pickle-gzip":
        path = Path(url) / "a.pkl.gz"
        with gzip.open(path, "wb", compresslevel=6) as f:  # Metaflow's default level
            pickle.dump(arr, f, protocol=4)
        t1 = time.perf_counter()
        with gzip.open(path, "rb") as f:
            back = pickle.load(f)
    elif case == "raw-s3fs":
        import s3fs

        fs = s3fs.S3FileSystem(**options)
        fs.pipe_file(f"{url}/raw", arr.tobytes())
        t1 = time.perf_counter()
        back = np.frombuffer(fs.cat_file(f"{url}/raw"), dtype=arr.dtype)
    else:
        from dflow.store import open_store

        store = open_store(url, options)
        ref = store.save(arr)
        t1 = time.perf_counter()
        back = store.load(ref, name="bench")
    t2 = time.perf_counter()
    assert np.array_equal(back, arr)
    return {"save_s": t1 - t0, "load_s": t2 - t1, "peak_mb": _rss_mb() - base}


def _child(args: argparse.Namespace) -> None:
    result = run_case(args.child, args.size_mb, args.url, json.loads(args.options))
    print(json.dumps(result))


def _run_child(case: str, size_mb: int, url: str, options: dict) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        case,
        "--size-mb",
        str(size_mb),
        "--url",
        url,
        "--options",
        json.dumps(options),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _hash_speed(size_mb: int) -> float:
    import xxhash

    arr = np.random.default_rng(0).random(size_mb * (1 << 20) // 8)
    t0 = time.perf_counter()
    xxhash.xxh3_128_hexdigest(arr)
    return size_mb / (time.perf_counter() - t0)


def main() -> None:
    """Parse arguments, run every case ``--repeat`` times, print medians."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size-mb", type=int, default=512)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--url", default="", help=argparse.SUPPRESS)
    p.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    p.add_argument("--skip-s3", action="store_true", help="skip the moto S3 case")
    args = p.parse_args()
    if args.child:
        return _child(args)

    results: dict[str, list[dict]] = {}
    server = None
    try:
        cases = [("store-local", None), ("pickle-gzip", None)]
        if not args.skip_s3:
            import s3fs
            from moto.server import ThreadedMotoServer

            port = _free_port()
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            opts = {"endpoint_url": f"http://127.0.0.1:{port}", "key": "x", "secret": "x"}
            s3fs.S3FileSystem(**opts).mkdir("bench")
            cases += [("store-s3", opts), ("raw-s3fs", opts)]
        for i in range(args.repeat):
            for case, opts in cases:
                with tempfile.TemporaryDirectory() as tmp:
                    url = f"s3://bench/{case}-{i}" if "s3" in case else tmp
                    results.setdefault(case, []).append(
                        _run_child(case, args.size_mb, url, opts or {})
                    )
    finally:
        if server is not None:
            server.stop()
    _report(results, args.size_mb, _hash_speed(args.size_mb))


def _report(results: dict[str, list[dict]], size_mb: int, hash_mbs: float) -> None:
    print(f"array: {size_mb} MiB float64 (random); medians of {len(results['pickle-gzip'])} runs")
    print(f"xxh3-128 hashing: {hash_mbs:,.0f} MB/s")
    print(f"{'case':<13}{'save MB/s':>11}{'load MB/s':>11}{'round trip s':>14}{'peak MB':>9}")
    rt = {}
    for case, runs in results.items():
        save = statistics.median(r["save_s"] for r in runs)
        load = statistics.median(r["load_s"] for r in runs)
        peak = statistics.median(r["peak_mb"] for r in runs)
        rt[case] = save + load
        print(
            f"{case:<13}{size_mb / save:>11,.0f}{size_mb / load:>11,.0f}"
            f"{save + load:>14.2f}{peak:>9,.0f}  ({peak / size_mb:.2f}x the array)"
        )
    for case in ("store-local", "store-s3"):
        if case in rt:
            print(f"{case} round trip is {rt['pickle-gzip'] / rt[case]:.1f}x pickle+gzip")
    if "raw-s3fs" in results:
        for what in ("save_s", "load_s"):
            ratio = statistics.median(r[what] for r in results["raw-s3fs"]) / statistics.median(
                r[what] for r in results["store-s3"]
            )
            print(f"store-s3 {what[:-2]} runs at {ratio:.0%} of raw s3fs's speed")


if __name__ == "__main__":
    main()
