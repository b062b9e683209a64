"""Time reading a 1,000-task run back from S3 (run by hand, not collected by pytest)::

    python tests/benchmarks/bench_show_s3.py            # 1,000 tasks
    python tests/benchmarks/bench_show_s3.py 200 5      # 200 tasks, 5 readings each

Starts a moto S3 server on 127.0.0.1, runs the benchmark foreach flow with N tasks on it
in-process (``--scheduler sync``), then times, each in a fresh process: ``dflow show
FLOW/RUN``, listing the run's steps and tasks through the client (``Run``), and
reading every task's state and timing as the listing shows them (the per-run task index
of :mod:`dflow.store.taskindex` and one listing). Prints each reading and their median.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from flows_bench import render  # noqa: E402

LIST_TASKS = r"""
import sys, time
from dflow.client import ClientContext, Run
t = time.perf_counter()
run = Run(sys.argv[1], ClientContext(namespace=None))
tasks = sum(len(list(step)) for step in run)
print(f"{time.perf_counter() - t:.2f} s, {tasks} tasks")
"""

TASK_STATES = r"""
import sys, time
from collections import Counter
from dflow.client import ClientContext, Run
t = time.perf_counter()
run = Run(sys.argv[1], ClientContext(namespace=None))
states = Counter(t.state for step in run for t in step.tasks())
ends = [t.finished_at for step in run for t in step.tasks()]
print(f"{time.perf_counter() - t:.2f} s, {dict(states)}")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _timed(argv: list[str], env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{argv} failed:\n{out.stderr[-2000:]}")
    return wall, out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def _readings(label: str, argv: list[str], env: dict, repeat: int) -> None:
    walls = []
    for _ in range(repeat):
        wall, out = _timed(argv, env)
        walls.append(wall)
        print(f"  {label}: {wall:.2f} s whole process ({out})", flush=True)
    print(f"{label}: median {statistics.median(walls):.2f} s of {repeat}", flush=True)


def main(n: int = 1000, repeat: int = 3) -> None:
    """Run the flow on a fresh moto server, then time the readers."""
    import s3fs
    from moto.server import ThreadedMotoServer

    from dflow.engine.launch import RunOptions, run_flow
    from dflow.flowfile import load_flow

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        opts = {"endpoint_url": f"http://127.0.0.1:{port}", "key": "x", "secret": "x"}
        s3fs.S3FileSystem(**opts).mkdir("bench")
        url = "s3://bench/store"
        with tempfile.TemporaryDirectory() as tmp:
            flow_file = Path(tmp) / "bench_foreach.py"
            flow_file.write_text(render("foreach", "dflow"))
            cls = load_flow(f"{flow_file}:ForeachBench")
            start = time.perf_counter()
            result = run_flow(
                cls,
                {"n": n},
                RunOptions(store=url, store_options=opts, scheduler="sync", quiet=True),
            )
            wrote = time.perf_counter() - start
            assert result.status == "succeeded", result.error
            print(f"wrote a {n}-task run to moto S3 in-process in {wrote:.1f} s")
            env = dict(os.environ, DFLOW_STORE=url, DFLOW_STORE_OPTIONS=json.dumps(opts))
            show = [sys.executable, "-m", "dflow.cli.main", "show", result.pathspec]
            print(f"load average before reading: {os.getloadavg()[0]:.1f}")
            _readings(f"dflow show {result.pathspec}", show, env, repeat)
            listing = [sys.executable, "-c", LIST_TASKS, result.pathspec]
            _readings("Run steps and tasks listed", listing, env, repeat)
            states = [sys.executable, "-c", TASK_STATES, result.pathspec]
            _readings("every task's state and end time", states, env, repeat)
            print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
