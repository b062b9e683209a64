"""Helpers of the report tests: run the report flows in-process."""

from __future__ import annotations

from pathlib import Path

FLOWS = Path(__file__).resolve().parent / "flows"


def run_flow_file(name: str | Path, cls: str, store: str, params: dict | None = None):
    """Run ``flows/<name>:<cls>`` (or the flow file at the absolute path ``name``, e.g. a
    zoo file) in-process (scheduler "sync") and return the RunResult."""
    from dflow.engine.launch import RunOptions, run_flow
    from dflow.flowfile import load_flow

    flow_cls = load_flow(f"{FLOWS / name}:{cls}")
    return run_flow(flow_cls, params or {}, RunOptions(scheduler="sync", store=store, quiet=True))
