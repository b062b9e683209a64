"""What the engine tests share: load a flow from tests/engine/flows, run it, read a task."""

from __future__ import annotations

from pathlib import Path

from dflow.engine.launch import RunOptions, RunResult, run_flow
from dflow.flowfile import load_flow
from dflow.store import TaskAddress, open_store

FLOWS = Path(__file__).parent / "flows"


def flow_class(name: str, file: str = "behaviours.py") -> type:
    """A flow class from tests/engine/flows/<file>."""
    return load_flow(f"{FLOWS / file}:{name}")


def run(cls: type, store: str, params: dict | None = None, **options) -> RunResult:
    """Run quietly (on the in-process scheduler unless told otherwise)."""
    options.setdefault("scheduler", "sync")
    return run_flow(cls, params or {}, RunOptions(store=store, quiet=True, **options))


def artifacts(store_url: str, result: RunResult, step: str, task_id: str = "0") -> dict:
    """Every artifact of a committed task, loaded."""
    store = open_store(store_url)
    manifest = store.latest_commit(TaskAddress(result.flow_name, result.run_id, step, task_id))
    assert manifest is not None, f"{result.pathspec}/{step}/{task_id} has no commit"
    return {name: store.load(ref) for name, ref in manifest.artifacts.items()}


