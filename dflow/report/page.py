"""Assemble the one self-contained HTML page of a run report.

Everything is inline (styles, the two SVGs, a few lines of script); the page fetches
nothing, so it opens offline, in a mail attachment or in a Jupyter iframe alike.
"""

from __future__ import annotations

import datetime as _dt
import json
from html import escape

from dflow.report.collect import RunData, StepData, TaskData
from dflow.report.graph import build_graph, render_graph_svg
from dflow.report.preview import human_size
from dflow.report.style import PAGE_CSS, PAGE_JS
from dflow.report.timeline import render_timeline_svg

#: Failed attempts shown with their traceback (the rest are counted).
MAX_FAILURES = 50
#: Tasks per step listed in the task table.
MAX_TASK_ROWS = 200


def _when(ts: float | None) -> str:
    if not ts:
        return "-"
    return _dt.datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="seconds")


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _header(run: RunData) -> str:
    r = run.record
    status = str(r.get("status", "?"))
    sched = r.get("scheduler") or {}
    rows = [
        ("status", f'<span class="badge {escape(status)}">{escape(status)}</span>'),
        ("user", escape(str(r.get("user", "-")))),
        ("started", _when(r.get("created_at"))),
        ("finished", _when(r.get("finished_at"))),
        ("duration", _dur(r.get("duration"))),
        ("tags", escape(", ".join(r.get("tags") or []) or "-")),
        ("scheduler", escape(f"{sched.get('source', '-')} {sched.get('address') or ''}")),
        ("store", escape(run.store_url)),
        ("tasks", str(len(run.tasks))),
    ]
    if r.get("origin_run_id"):
        rows.append(("resumed from", escape(str(r["origin_run_id"]))))
    cells = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f"<header><h1>{escape(run.flow)} / {escape(run.run_id)}</h1>"
        f'<table class="meta">{cells}</table></header>'
    )


def _parameters(run: RunData) -> str:
    params = run.record.get("parameters") or {}
    if not params:
        return '<p class="muted">This flow has no parameters.</p>'
    rows = "".join(
        f"<tr><td>{escape(str(k))}</td><td><code>{escape(json.dumps(v))}</code></td></tr>"
        for k, v in sorted(params.items())
    )
    return f'<table class="params"><tr><th>name</th><th>value</th></tr>{rows}</table>'


def _artifact_rows(task: TaskData) -> str:
    if task.artifacts is None:
        return ""
    if not task.artifacts:
        return f'<tr><td>{escape(task.task_id)}</td><td colspan="4" class="muted">none</td></tr>'
    return "".join(
        f"<tr><td>{escape(task.task_id)}</td><td>{escape(a.name)}</td>"
        f"<td>{escape(a.type_name)}</td><td>{human_size(a.size)}</td>"
        f"<td><code>{escape(a.preview)}</code></td></tr>"
        for a in task.artifacts
    )


def _task_row(t: TaskData) -> str:
    last = t.attempts[-1] if t.attempts else None
    worker = str(last.worker or last.host or "-") if last else "-"
    return (
        f'<tr class="{escape(t.status)}"><td>{escape(t.task_id)}</td>'
        f"<td>{escape(t.status)}</td><td>{len(t.attempts)}</td><td>{escape(worker)}</td>"
        f"<td>{_dur(last.duration if last else None)}</td></tr>"
    )


def _step_section(step: StepData) -> str:
    done = sum(t.status == "succeeded" for t in step.tasks)
    failed = sum(t.status == "failed" for t in step.tasks)
    retried = sum(len(t.attempts) > 1 for t in step.tasks)
    shown = [t for t in step.tasks if t.artifacts is not None]
    arts = "".join(_artifact_rows(t) for t in shown)
    more = len(step.tasks) - len(shown)
    note = f'<p class="muted">Artifacts of {more} more tasks not shown.</p>' if more > 0 else ""
    task_rows = "".join(_task_row(t) for t in step.tasks[:MAX_TASK_ROWS])
    if len(step.tasks) > MAX_TASK_ROWS:
        task_rows += (
            f'<tr><td colspan="5" class="muted">… {len(step.tasks) - MAX_TASK_ROWS} '
            "more tasks (all are on the timeline)</td></tr>"
        )
    return (
        f'<section class="step" id="step-{escape(step.name)}" data-step="{escape(step.name)}">'
        f"<h3>{escape(step.name)} <small>{len(step.tasks)} tasks · {done} succeeded · "
        f"{failed} failed · {retried} retried</small></h3>"
        '<table class="artifacts"><tr><th>task</th><th>artifact</th><th>type</th>'
        f"<th>size</th><th>preview</th></tr>{arts}</table>{note}"
        '<details><summary>tasks</summary><table class="tasks"><tr><th>task</th>'
        "<th>status</th><th>attempts</th><th>worker</th><th>duration</th></tr>"
        f"{task_rows}</table></details></section>"
    )


def _failures(run: RunData) -> str:
    failed = [(t, a) for t in run.tasks for a in t.attempts if a.error or a.caught]
    run_error = run.record.get("error")
    if not failed and not run_error:
        return '<p class="muted">No attempt failed.</p>'
    parts = []
    final = {(t.step, t.task_id) for t in run.tasks if t.status == "failed"}
    for t, a in failed[:MAX_FAILURES]:
        err = a.error or a.caught or {}
        outcome = (
            "failed the run"
            if (t.step, t.task_id) in final and a is t.attempts[-1]
            else "caught by @catch"
            if a.caught
            else "retried"
        )
        parts.append(
            f'<div class="failure" data-step="{escape(t.step)}" data-task="{escape(t.task_id)}" '
            f'data-attempt="{a.attempt}"><h3>{escape(t.step)}/{escape(t.task_id)} attempt '
            f"{a.attempt}: {escape(str(err.get('type', 'Error')))} <small>({outcome})</small></h3>"
            f"<p>{escape(str(err.get('message', '')))}</p>"
            f"<pre>{escape(str(err.get('traceback', '')))}</pre></div>"
        )
    if len(failed) > MAX_FAILURES:
        parts.append(f'<p class="muted">… {len(failed) - MAX_FAILURES} more failed attempts.</p>')
    if run_error and not any(a.error for _, a in failed):
        parts.append(
            f'<div class="failure"><h3>run: {escape(str(run_error.get("type", "")))}'
            f"</h3><p>{escape(str(run_error.get('message', '')))}</p>"
            f"<pre>{escape(str(run_error.get('traceback', '')))}</pre></div>"
        )
    return "".join(parts)


def render_page(run: RunData, *, now: float | None = None) -> str:
    """The full HTML document of the report of ``run``."""
    graph = render_graph_svg(build_graph(run))
    steps = "".join(_step_section(s) for s in _ordered_steps(run))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(run.flow)}/{escape(run.run_id)} · dflow report</title>"
        f"<style>{PAGE_CSS}</style></head><body>{_header(run)}"
        f'<section id="graph"><h2>Graph</h2><div class="scroll">{graph}</div></section>'
        '<section id="timeline-section"><h2>Timeline</h2><p class="legend">'
        '<span class="key succeeded"></span>succeeded <span class="key failed"></span>failed '
        '<span class="key running"></span>running · outlined: a retry · hover a bar for '
        'details</p><div class="scroll">'
        f"{render_timeline_svg(run, now)}</div></section>"
        f'<section id="parameters"><h2>Parameters</h2>{_parameters(run)}</section>'
        f'<section id="steps"><h2>Steps and artifacts</h2>{steps}</section>'
        f'<section id="failures"><h2>Failures</h2>{_failures(run)}</section>'
        f"<footer>dflow run report · {escape(run.flow)}/{escape(run.run_id)}</footer>"
        f"<script>{PAGE_JS}</script></body></html>"
    )


def _ordered_steps(run: RunData) -> list[StepData]:
    graph = build_graph(run)
    order = {n.name: (n.layer, n.row) for n in graph.nodes}
    return sorted(run.steps, key=lambda s: order.get(s.name, (0, 0)))
