"""FlowSpec's one way up: what ``MyFlow()``, ``MyFlow.run()``, ``.resume()`` and
``.delayed()`` start.

The flow definition layer imports nothing above it except this module, lazily, when a
flow is started (as Metaflow's ``FlowSpec()`` lazily starts its CLI). That one import is
the only cycle of dflow's import graph; ``tests/test_layers.py`` keeps it the only one.
"""

from __future__ import annotations

from typing import Any


def run_cli(flow_cls: type) -> None:
    """``python flow.py ...``: the command line of one flow class."""
    from dflow.cli.flow_cli import run_cli as cli

    cli(flow_cls)


def run_class(flow_cls: type, params: dict[str, Any] | None, options: dict[str, Any]) -> Any:
    """``MyFlow.run(...)``: run the flow and wait for it."""
    from dflow.engine.launch import run_class as run

    return run(flow_cls, params, options)


def resume_class(
    flow_cls: type, origin_run_id: str | None, step: str | None, options: dict[str, Any]
) -> Any:
    """``MyFlow.resume(...)``: resume a run of the flow."""
    from dflow.engine.resume import resume_class as resume

    return resume(flow_cls, origin_run_id, step, options)


def delayed_run(flow_cls: type, params: dict[str, Any] | None, options: dict[str, Any]) -> Any:
    """``MyFlow.delayed(...)``: a run of the flow as a Dask collection."""
    from dflow.engine.collection import delayed_run as delayed

    return delayed(flow_cls, params, options)
