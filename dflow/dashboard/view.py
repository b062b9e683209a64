"""The HTML of the dflow dashboard page, rendered on the scheduler from its RunBoard.

One renderer serves the first load and every live update: the page's script fetches
this same HTML again (``/dflow/api/content``) and swaps it in, so the page is never
blank and never drawn twice in two languages. Everything from data is escaped here.

Per run: status, elapsed time, the flow's graph (from the run's ``dflow-runs`` event,
which carries the run record's graph) with each step filled by its progress in Dask's
colours, a per-step table with Dask-style progress bars (done in the step's task colour,
failed black, running grey), links to Dask's task stream and to the info pages of the
step's live tasks, and the newest failures with their tracebacks. Workers are named as
Dask names them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import quote

from dask.utils import format_time

from dflow.client.timefmt import format_when
from dflow.dashboard.state import RunState
from dflow.errors import ErrorRecord
from dflow.graph.record import graph_from_record
from dflow.report.graph import layout_flow_graph, plural, render_graph_svg, step_colour

#: Runs drawn in full (graph, steps, failures) on /dflow when none is chosen.
MAX_EXPANDED = 3
#: Failures shown per run, newest first.
MAX_FAILURES_SHOWN = 10


def worker_label(address: str | None, names: Mapping[str, str]) -> str:
    """A worker as Dask's pages name it: its name, else its address without ``tcp://``."""
    if not address:
        return "-"
    name = names.get(address)
    return f"worker {name}" if name not in (None, "") else address.split("://", 1)[-1]


def _elapsed(summary: dict) -> str:
    if summary.get("duration") is None:
        return "-"
    verb = "running for" if summary["status"] == "running" else "took"
    return f"{verb} {format_time(summary['duration'])}"


def _totals(steps: Sequence[dict]) -> dict[str, int]:
    keys = ("done", "failed", "running", "waiting", "tasks")
    return {k: sum(int(s.get(k, 0)) for s in steps) for k in keys}


def progress_bar(counts: Mapping[str, int], colour: str) -> str:
    """A Dask-style bar: done in ``colour``, failed black, running grey, the rest faint
    (out of ``tasks`` when known, else of all the counts)."""
    known = sum(counts.get(k, 0) for k in ("done", "failed", "running", "waiting"))
    total = max(counts.get("tasks", 0), known, 1)
    parts = []
    for part, style in (
        ("done", f"background:{colour}"),
        ("failed", "background:rgba(0,0,0,.5)"),
        ("running", "background:rgba(128,128,128,.35)"),
    ):
        pct = 100.0 * counts.get(part, 0) / total
        if pct:
            parts.append(f'<span class="seg {part}" style="width:{pct:.2f}%;{style}"></span>')
    return f'<span class="progress">{"".join(parts)}</span>'


def runs_table(summaries: Sequence[dict], selected: str | None) -> str:
    """The table of every run the scheduler has seen (newest first)."""
    if not summaries:
        return '<p class="muted">No dflow run seen on this cluster yet.</p>'
    rows = []
    for r in summaries:
        key = f"{r['flow']}/{r['run_id']}"
        totals = _totals(r["steps"])
        chosen = " chosen" if key == selected else ""
        rows.append(
            f'<tr class="run{chosen}" data-run="{escape(key)}"><td class="flow">'
            f'{escape(r["flow"])}</td><td class="run-id"><a href="dflow?run='
            f'{quote(key, safe="")}">{escape(r["run_id"])}</a></td><td><span class="status '
            f'{escape(r["status"])}">{escape(r["status"])}</span></td>'
            f"<td>{format_when(r.get('started'))}</td><td>{escape(_elapsed(r))}</td>"
            f'<td class="bar-cell">{progress_bar(totals, "#1f77b4")}</td>'
            f"<td>{totals['done']} done · {totals['failed']} failed</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>" for h in ("flow", "run", "status", "started", "time", "progress", "")
    )
    return f'<table class="runs"><tr>{head}</tr>{"".join(rows)}</table>'


def _step_rows(run: RunState, summary: dict) -> str:
    rows = []
    live: dict[str, list[str]] = {}
    for key, (step, _state) in run.keys.items():
        live.setdefault(step, []).append(key)
    for s in summary["steps"]:
        colour = step_colour(run.flow, s["step"])
        keys = sorted(live.get(s["step"], ()))[:3]
        links = " ".join(
            f'<a class="task-link" href="info/task/{quote(k, safe="")}.html">{escape(k)}</a>'
            for k in keys
        )
        rows.append(
            f'<tr data-step="{escape(s["step"])}"><td class="step"><span class="swatch" '
            f'style="background:{colour}"></span>{escape(s["step"])}</td>'
            f'<td class="bar-cell">{progress_bar(s, colour)}</td>'
            f'<td class="n-done">{s["done"]}</td><td class="n-running">{s["running"]}</td>'
            f'<td class="n-waiting">{s["waiting"]}</td>'
            f'<td class="n-failed{" zero" if not s["failed"] else ""}">{s["failed"]}</td>'
            f'<td class="n-failed-attempts">{s["failed_attempts"]}</td>'
            f'<td class="links">{links}</td></tr>'
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("step", "progress", "done", "running", "waiting", "failed", "failed attempts")
    )
    return (
        f'<table class="steps"><tr>{head}<th>live tasks (Dask info pages)</th></tr>'
        f"{''.join(rows)}</table>"
    )


def _graph(run: RunState, summary: dict) -> str:
    graph = graph_from_record(run.graph)
    if graph is None:
        return '<p class="muted">This run sent no graph (an older dflow): steps only.</p>'
    counts = {
        s["step"]: {
            "tasks": max(s.get("tasks", 0), s["done"] + s["failed"] + s["running"] + s["waiting"]),
            "done": s["done"],
            "failed": s["failed"],
            "running": s["running"],
        }
        for s in summary["steps"]
    }
    laid = layout_flow_graph(graph, counts, finished=summary["status"] != "running")
    live: dict[str, str] = {}
    for key, (step, _state) in sorted(run.keys.items()):
        live.setdefault(step, f"info/task/{quote(key, safe='')}.html")
    links = {n.name: live.get(n.name, "tasks") for n in laid.nodes}
    return f'<div class="scroll">{render_graph_svg(laid, links)}</div>'


def _failures(run: RunState, names: Mapping[str, str]) -> str:
    if not run.failures:
        return ""
    parts = []
    for ev in reversed(run.failures[-MAX_FAILURES_SHOWN:]):
        err = ev.get("error")
        head = (
            f"{ev['step']}/{ev['task_id']} attempt {ev['attempt']} failed on "
            f"{worker_label(ev.get('worker'), names)} after "
            f"{format_time(ev['duration']) if ev.get('duration') is not None else '?'}"
        )
        if err and err.type:
            head += f": {err}"
        later = run.last_event.get((ev["step"], ev["task_id"])) or {}
        if later.get("attempt", -1) > ev["attempt"]:  # a newer attempt ran: it was retried
            outcome = "succeeded" if later.get("state") == "succeeded" else "failed too"
            head = f"(retried: attempt {later['attempt']} {outcome}) {head}"
        trace = err.traceback if err else ""
        body = f'<pre class="traceback">{escape(trace)}</pre>' if trace else ""
        key = f"{run.flow}/{run.run_id}/{ev['step']}/{ev['task_id']}/{ev['attempt']}"
        parts.append(
            f'<details class="failure-box" data-key="{escape(key)}"><summary>'
            f'<span class="failure" data-step="{escape(ev["step"])}">{escape(head[:400])}'
            f"</span></summary>{body}</details>"
        )
    more = len(run.failures) - MAX_FAILURES_SHOWN
    note = f'<p class="muted">and {plural(more, "older failure")}</p>' if more > 0 else ""
    return f'<h3>Failures</h3><div class="failures">{"".join(parts)}{note}</div>'


def run_section(
    run: RunState,
    summary: dict,
    names: Mapping[str, str],
    record: dict | None = None,
    cards: str = "",
) -> str:
    """One run in full: header, graph, step progress, failures (and, with the store
    ``record``, its parameters, user and the run's own error; ``cards``: card HTML)."""
    key = f"{run.flow}/{run.run_id}"
    parts = [
        f'<section class="run-detail" data-run="{escape(key)}" data-status="'
        f'{escape(summary["status"])}"><h2>{escape(run.flow)} / {escape(run.run_id)} '
        f'<span class="status {escape(summary["status"])}">{escape(summary["status"])}'
        f'</span> <small class="elapsed">{escape(_elapsed(summary))} · started '
        f"{format_when(summary.get('started'))}</small></h2>"
        '<p class="muted">Its tasks in Dask: <a href="tasks">task stream</a> · '
        '<a href="status">progress</a> · <a href="groups">groups</a> '
        f"(key prefix <code>{escape(run.flow)}.&lt;step&gt;</code>)</p>",
        _graph(run, summary),
        _step_rows(run, summary),
        _failures(run, names),
    ]
    if record is not None:
        parts.append(_record_html(record))
    if cards:
        parts.append(f'<h3>Cards</h3><div class="cards">{cards}</div>')
    parts.append("</section>")
    return "".join(parts)


def _record_html(record: dict) -> str:
    if record.get("store_error"):
        return (
            f'<div id="record"><p class="n-failed">store: {escape(record["store_error"])}</p></div>'
        )
    rows = [("user", escape(str(record.get("user") or "-")))]
    params = record.get("parameters") or {}
    rows.append(
        (
            "parameters",
            "<code>" + escape(json.dumps(params, separators=(",", ":"), default=str)) + "</code>",
        )
    )
    rows.append(("tags", escape(", ".join(record.get("tags") or []) or "-")))
    cells = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    error = ErrorRecord.read(record.get("error"))
    trace = error and (error.traceback or error.message)
    tail = f'<pre class="traceback run-error">{escape(str(trace))}</pre>' if trace else ""
    return f'<div id="record"><h3>Run record</h3><table class="meta">{cells}</table>{tail}</div>'


def expanded_runs(summaries: Sequence[dict], selected: str | None) -> list[str]:
    """Which runs /dflow draws in full: the chosen one, else the running ones and the
    newest, at most :data:`MAX_EXPANDED`."""
    keys = [f"{r['flow']}/{r['run_id']}" for r in summaries]
    if selected:
        return [selected] if selected in keys else []
    running = [k for k, r in zip(keys, summaries, strict=True) if r["status"] == "running"]
    chosen = running + [k for k in keys[:1] if k not in running]
    return chosen[:MAX_EXPANDED]
