"""What the engine, fault and cluster suites share: load a flow from tests/engine/flows,
run it, read a task, and kill a worker in the middle of a run."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from dflow.engine.launch import RunOptions, RunResult, run_flow
from dflow.flowfile import load_flow
from dflow.store import TaskAddress, open_store

FLOWS = Path(__file__).parent / "engine" / "flows"


def flow_class(name: str, file: str = "behaviours.py") -> type:
    """A flow class from tests/engine/flows/<file>."""
    return load_flow(f"{FLOWS / file}:{name}")


def run(cls: type, store: str, params: dict | None = None, **options) -> RunResult:
    """Run quietly (on the in-process scheduler unless told otherwise)."""
    options.setdefault("scheduler", "sync")
    return run_flow(cls, params or {}, RunOptions(store=store, quiet=True, **options))


def artifacts(
    store_url: str, result: RunResult, step: str, task_id: str = "0", options: dict | None = None
) -> dict:
    """Every artifact of a committed task, loaded."""
    store = open_store(store_url, options)
    manifest = store.latest_commit(TaskAddress(result.flow_name, result.run_id, step, task_id))
    assert manifest is not None, f"{result.pathspec}/{step}/{task_id} has no commit"
    return {name: store.load(ref) for name, ref in manifest.artifacts.items()}


def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def run_and_kill_a_worker(store_url: str, signals: Path, **options) -> RunResult:
    """Run KillableFlow (six children that wait for a signal file), SIGKILL the process of
    one worker while its children run, let the run finish, and check that nothing was
    lost or corrupted. ``options`` go to the run (``scheduler=``, ``store_options=``);
    the cluster needs six task slots."""
    signals.mkdir()
    outcome: dict = {}

    def target() -> None:
        outcome["result"] = run(
            flow_class("KillableFlow", "killable.py"),
            store_url,
            {"signal_dir": str(signals)},
            **options,
        )

    thread = threading.Thread(target=target)
    thread.start()
    try:
        wait_for(lambda: len(list(signals.glob("pid-*"))) == 6, what="six running children")
        victim = min(int(p.name.split("-")[2]) for p in signals.glob("pid-*"))
        killed = sorted(int(p.name.split("-")[1]) for p in signals.glob(f"pid-*-{victim}"))
        os.kill(victim, signal.SIGKILL)
        wait_for(
            lambda: all(
                any(int(p.name.split("-")[2]) != victim for p in signals.glob(f"pid-{i}-*"))
                for i in killed
            ),
            what="the lost children to be rescheduled",
        )
    finally:
        (signals / "go").write_text("go")
        thread.join(120)
    result = outcome["result"]
    store_options = options.get("store_options")
    assert result.status == "succeeded", result.error
    assert artifacts(store_url, result, "join", options=store_options)["values"] == [
        0,
        10,
        20,
        30,
        40,
        50,
    ]
    store = open_store(store_url, store_options)
    for i in killed:
        addr = TaskAddress(result.flow_name, result.run_id, "work", str(i))
        assert len(store.list_attempts(addr)) >= 2, "the interrupted attempt is kept"
        assert len(store.committed_attempts(addr)) == 1
        assert store.load(store.latest_commit(addr).artifacts["value"]) == i * 10
    return result
