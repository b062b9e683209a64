"""Run reports: one self-contained HTML file per run (``dflow report FLOW/RUN``).

A report holds the flow's graph (inline SVG, drawn from the graph the run record holds), a
timeline of every task attempt (worker, start, duration, attempt; failed and retried
attempts visible), the parameters, each step's artifacts with type, size and a short
preview, and every failure with its traceback. It fetches nothing: scripts and styles
are inline, so the file opens offline.

Example, for a run in the store::

    from dflow.report import build_report
    build_report("TrainFlow", "1795739563832009").save("run.html")

In Jupyter, a :class:`Report` displays itself inline (``_repr_html_``).
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dflow.report.collect import RunData
    from dflow.store import Store

# The run reading and the page load when a report is built: the Dask dashboard imports
# this package's graph drawing (dflow.report.graph) at scheduler start, and a run's own
# scheduler starts in the driver, before its first task can run.

__all__ = ["Report", "build_report", "parse_pathspec", "report_of"]


class Report:
    """The HTML report of one run: ``.html``, ``.save(path)`` and inline Jupyter display."""

    def __init__(self, run: RunData, html: str) -> None:
        self.run = run
        self.html = html

    @property
    def pathspec(self) -> str:
        """``"Flow/run_id"`` of the reported run."""
        return f"{self.run.flow}/{self.run.run_id}"

    def save(self, path: str | os.PathLike) -> Path:
        """Write the report as one HTML file and return its path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.html, encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        # An iframe keeps the report's styles and script apart from the notebook's.
        return (
            f'<iframe title="dflow report {escape(self.pathspec)}" srcdoc="'
            f'{escape(self.html, quote=True)}" style="width:100%;height:820px;border:0">'
            "</iframe>"
        )

    def __repr__(self) -> str:
        return f"<dflow Report {self.pathspec}: {len(self.html)} characters of HTML>"


def parse_pathspec(text: str) -> tuple[str, str]:
    """``"Flow/run_id"`` -> ``("Flow", "run_id")``; ObjectNotFoundError-style DflowError else."""
    from dflow.client.base import split_pathspec
    from dflow.errors import ObjectNotFoundError

    try:
        flow, run_id = split_pathspec(text, 2, "run")
    except ObjectNotFoundError:
        raise ObjectNotFoundError(
            f"{text!r} does not name a run",
            hint="give FLOW/RUN_ID, for example TrainFlow/1795739563832009",
        ) from None
    return flow, run_id


def build_report(
    flow: str, run_id: str, *, store: str | Store | None = None, store_options: dict | None = None
) -> Report:
    """Read run ``flow/run_id`` from the store and build its :class:`Report`.

    ``store`` is a Store or a URL (default: the configured store). Raises
    RecordNotFoundError when the store has no such run.
    """
    from dflow.report.collect import collect_run
    from dflow.report.page import render_page
    from dflow.store import Store, open_store

    st = (
        store
        if isinstance(store, Store)
        else open_store(store, store_options, writable=False, trusted=False)
    )  # a report never unpickles
    run = collect_run(st, flow, run_id)
    return Report(run, render_page(run))


def report_of(run: Any) -> Report:
    """The :class:`Report` of a client ``Run``, read from the run's own store.

    This is the ``"run-report"`` view of :mod:`dflow.renderers`: ``Run.report()`` and a
    run's notebook view call it without the client importing this layer.
    """
    flow, run_id = run.path_components
    return build_report(flow, run_id, store=run.store)
