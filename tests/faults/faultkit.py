"""What the fault tests share: run zoo flows, find a run's files on disk, run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dflow.engine.launch import RunOptions, RunResult, run_flow
from dflow.flowfile import load_flow

ZOO = Path(__file__).resolve().parent.parent / "zoo"
FLOWS = Path(__file__).resolve().parent / "flows"


def zoo_flow(file: str, name: str) -> type:
    """A flow class of tests/zoo/<file>."""
    return load_flow(f"{ZOO / file}:{name}")


def fault_flow(name: str) -> type:
    """A flow class of tests/faults/flows/faulty.py."""
    return load_flow(f"{FLOWS / 'faulty.py'}:{name}")


def run(cls: type, store: str, params: dict | None = None, **options) -> RunResult:
    """Run quietly on the in-process scheduler (unless told otherwise)."""
    options.setdefault("scheduler", "sync")
    return run_flow(cls, params or {}, RunOptions(store=store, quiet=True, **options))


def run_dir(store: str, flow: str, run_id: str) -> Path:
    """The folder of a run in a local store."""
    return Path(store) / "flows" / flow / "runs" / run_id


def attempt_dir(store: str, flow: str, run_id: str, step: str, task: str = "0") -> Path:
    """The latest attempt folder of a task in a local store."""
    folder = run_dir(store, flow, run_id) / "steps" / step / task
    return folder / max(os.listdir(folder), key=int)


def dflow_cli(*args: str, env: dict | None = None, cwd: str | None = None, timeout=120):
    """Run the real ``dflow`` CLI in a subprocess (this tree's dflow); ``env`` is laid over
    this process's environment (a None value removes the variable)."""
    full = dict(os.environ)
    full.update(env or {})
    full = {k: v for k, v in full.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-m", "dflow.cli.main", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=timeout,
    )


def dflow_in_process(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the ``dflow`` CLI in this process (click's CliRunner), answered as
    :func:`dflow_cli` answers: return code, stdout and stderr apart.

    For tests of what a command prints and exits with, where the process boundary is not
    the point: it saves the ~0.5-1 s a fresh interpreter costs. ``env`` is laid over the
    environment for the call only (a None value removes the variable). An exception the
    CLI does not turn into an ``error:`` line propagates and fails the test, as the
    traceback a subprocess would print fails its ``"Traceback" not in stderr`` check.
    """
    from click.testing import CliRunner

    from dflow.cli.main import main

    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)
