"""Engine benchmark: dflow against Metaflow and plain dask.delayed, side by side.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_engine.py                      # everything, 3 repeats
    python tests/benchmarks/bench_engine.py --cases foreach:100,linear --repeat 5
    python tests/benchmarks/bench_engine.py --metaflow-python /path/to/venv/bin/python

Every case runs in a fresh process (``python flow.py run``), timed from the outside:
whole-process wall time, cluster start included, and the peak RSS of the largest
process of the tree (the larger of ru_maxrss of the waited-for children and the VmHWM of
every descendant, sampled every 20 ms: a run's own workers fork from a forkserver that is
never waited for, so ru_maxrss alone misses them). Metaflow runs when a Python
with ``metaflow`` importable is given or found; plain Dask runs the same N trivial
functions as one ``dask.delayed`` task each on a fresh LocalCluster. Prints medians and
the ratio against dflow measured in the same invocation; for the linear flow also the
first task's latency ("first task running at"): from the measuring process starting the
run to the ``time.time()`` that the flow's first step prints as its body begins.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from flows_bench import render  # noqa: E402

MEASURE = r"""
import os, re, resource, subprocess, sys, threading, time, json

def tree(root):
    # The live descendants of ``root``: the workers of a run's own cluster fork from
    # multiprocessing's forkserver, which never waits for them where ru_maxrss could see.
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
        out.append(pid)
    return out

def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None

peaks, done = {}, threading.Event()

def sample(root):
    while not done.wait(0.02):
        for pid in tree(root):
            mb = hwm(pid)
            if mb is not None:
                peaks[pid] = max(peaks.get(pid, 0.0), mb)

t0, t = time.time(), time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
sampler = threading.Thread(target=sample, args=(proc.pid,), daemon=True)
sampler.start()
stdout, stderr = proc.communicate()
wall = time.perf_counter() - t
done.set()
sampler.join()
peak = max([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, *peaks.values()])
# A flow that prints "first-task-at <time.time()>" in its first step (the linear one)
# gets its first task's latency: from this process starting it to that line's stamp.
stamp = re.search(r"first-task-at ([0-9.]+)", stdout)
first = float(stamp.group(1)) - t0 if stamp else None
print(json.dumps({"wall": wall, "peak_mb": peak, "rc": proc.returncode, "first_task": first,
                  "out": stdout[-2000:], "err": stderr[-2000:]}))
"""


PLAIN_DASK = r"""
import sys
from dask import delayed
from distributed import Client, LocalCluster

def work(i):
    return i + 1

if __name__ == "__main__":
    n = int(sys.argv[1])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=50) as cluster, Client(cluster):
        total = delayed(sum)([delayed(work)(i) for i in range(n)]).compute()
    print("total", total)
"""


def measure(folder: Path, argv: list[str], env: dict | None = None) -> dict:
    """Run ``argv`` in ``folder`` in a fresh measuring process."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(folder), *argv], capture_output=True, text=True, env=env
    )
    result = json.loads(out.stdout)
    if result["rc"] != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{result['err']}")
    return result


def count_files(folder: Path) -> int:
    """Files under ``folder`` (a local store: each file is one object on S3)."""
    return sum(len(files) for _, _, files in os.walk(folder))


def array_phases(runs: list[dict]) -> str:
    """The array flow's "save+handoff S load L" lines of ``runs``: medians (and range)."""
    found = [re.search(r"save\+handoff ([0-9.]+) load ([0-9.]+)", r["out"]) for r in runs]
    pairs = [(float(m.group(1)), float(m.group(2))) for m in found if m]
    if not pairs:
        return ""
    saves, loads = sorted(p[0] for p in pairs), sorted(p[1] for p in pairs)
    return (
        f"save+handoff {statistics.median(saves):.3f} ({saves[0]:.2f}-{saves[-1]:.2f})"
        f" load {statistics.median(loads):.3f} ({loads[0]:.2f}-{loads[-1]:.2f})"
    )


def find_metaflow(given: str | None) -> str | None:
    """A Python that can import metaflow, or None."""
    for candidate in [given, sys.executable, "/tmp/mfvenv/bin/python"]:
        if candidate and shutil.which(candidate) or (candidate and Path(candidate).exists()):
            ok = subprocess.run([candidate, "-c", "import metaflow"], capture_output=True)
            if ok.returncode == 0:
                return candidate
    return None


def case_argv(kind: str, n: int | None, python: str) -> list[str]:
    """The command line of one case."""
    argv = [python, f"bench_{kind}.py", "run"]
    if kind == "foreach":
        argv += ["--n", str(n)]
    return argv


def main() -> None:
    """Parse options, run every case, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="linear,foreach:100,foreach:1000,foreach:10000,array")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--metaflow-python", default=None)
    parser.add_argument(
        "--metaflow-max-n",
        type=int,
        default=1000,
        help="skip Metaflow foreach cases above this N (10,000 takes ~30 min)",
    )
    parser.add_argument("--array-mb", type=int, default=512)
    parser.add_argument(
        "--no-warm",
        action="store_true",
        help="skip the 'dflow warm' rows (runs on a `dflow cluster up` cluster)",
    )
    args = parser.parse_args()
    mf_python = find_metaflow(args.metaflow_python)
    work = Path(tempfile.mkdtemp(prefix="dflow-bench-"))
    frameworks = {"dflow": work / "dflow", "metaflow": work / "metaflow"}
    for name, folder in frameworks.items():
        folder.mkdir()
        for kind in ("foreach", "linear", "array"):
            (folder / f"bench_{kind}.py").write_text(render(kind, name))
    (work / "plain_dask.py").write_text(PLAIN_DASK)
    env = dict(
        os.environ,
        DFLOW_STORE=str(work / "dflow" / ".dflow"),
        METAFLOW_DEFAULT_DATASTORE="local",
        USERNAME="bench",
        DFLOW_HOME=str(work / "cold-home"),
    )
    env.pop("DFLOW_SCHEDULER", None)
    warm_env = dict(env, DFLOW_HOME=str(work / "warm-home"))
    if not args.no_warm:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dflow.cli.main",
                "cluster",
                "up",
                "--workers",
                "2",
                "--port",
                "0",
                "--dashboard-port",
                "0",
            ],
            env=warm_env,
            check=True,
            capture_output=True,
        )
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M')}  cores={os.cpu_count()}  repeat={args.repeat}"
        f"  metaflow={'yes' if mf_python else 'not found'}  folder={work}"
    )
    print(f"{'case':<16}{'system':<12}{'wall s (median)':>17}{'peak MB':>10}{'vs dflow':>10}")
    try:
        for case in args.cases.split(","):
            kind, _, n_text = case.partition(":")
            n = int(n_text) if n_text else None
            dflow_argv = case_argv(kind, n, sys.executable)
            if kind == "array":
                dflow_argv += ["--mb", str(args.array_mb)]
            systems = {"dflow": (frameworks["dflow"], dflow_argv, env)}
            if not args.no_warm:
                systems["dflow warm"] = (frameworks["dflow"], dflow_argv, warm_env)
            if mf_python and not (kind == "foreach" and n > args.metaflow_max_n):
                argv = case_argv(kind, n, mf_python)
                if kind == "foreach":  # Metaflow refuses more than 100 children by default
                    argv += ["--max-num-splits", str(max(n, 100))]
                if kind == "array":
                    argv += ["--mb", str(args.array_mb)]
                systems["metaflow"] = (frameworks["metaflow"], argv, env)
            if kind == "foreach":
                systems["plain dask"] = (work, [sys.executable, "plain_dask.py", str(n)], env)
            base = None
            for system, (folder, argv, system_env) in systems.items():
                store = Path(system_env["DFLOW_STORE"])
                before = count_files(store) if system == "dflow" else 0
                runs = [measure(folder, argv, system_env) for _ in range(args.repeat)]
                if system == "dflow" and kind == "foreach":
                    per_task = (count_files(store) - before) / (args.repeat * n)
                    print(f"# {case}: {per_task:.2f} store objects written per task", flush=True)
                wall = statistics.median(r["wall"] for r in runs)
                peak = max(r["peak_mb"] for r in runs)
                base = base or wall
                extra = ""
                if kind == "array":
                    extra = "  " + array_phases(runs)
                firsts = [r["first_task"] for r in runs if r["first_task"] is not None]
                if firsts:
                    extra += f"  first task running at {statistics.median(firsts):.2f} s"
                ratio = wall / base
                print(
                    f"{case:<16}{system:<12}{wall:>17.2f}{peak:>10.0f}{ratio:>9.1f}x{extra}",
                    flush=True,
                )
    finally:
        if not args.no_warm:
            subprocess.run(
                [sys.executable, "-m", "dflow.cli.main", "cluster", "down"],
                env=warm_env,
                capture_output=True,
            )
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
