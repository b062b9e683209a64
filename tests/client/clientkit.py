"""Shared helpers of the client tests (a module of its own: conftest names clash)."""

from __future__ import annotations

import pytest


def make_run(
    flow_cls: type,
    store: str,
    params: dict | None = None,
    *,
    user: str = "alice",
    tags: tuple[str, ...] = (),
):
    """Run ``flow_cls`` in-process as ``user``; return the engine's RunResult."""
    from dflow.engine.launch import RunOptions, run_flow

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("METAFLOW_USER", user)
        return run_flow(
            flow_cls, params or {}, RunOptions(scheduler="sync", store=store, quiet=True, tags=tags)
        )
