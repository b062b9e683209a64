"""Assemble the one self-contained HTML page of a run report.

Everything is inline (styles, the SVGs, a few lines of script); the page fetches
nothing, so it opens offline, in a mail attachment or in a Jupyter iframe alike.
"""

from __future__ import annotations

import json
from html import escape

from dask.utils import format_bytes

from dflow.client.timefmt import format_duration, format_when
from dflow.errors import ErrorRecord
from dflow.report.cards import render_cards
from dflow.report.collect import RunData, StepData, TaskData
from dflow.report.graph import plural, render_graph_svg, run_graph
from dflow.report.style import PAGE_CSS, PAGE_JS
from dflow.report.timeline import render_duration_histogram, render_timeline_svg

#: Failed attempts shown with their traceback (the rest are counted).
MAX_FAILURES = 50
#: Tasks per step listed in the task table.
MAX_TASK_ROWS = 200


def _scheduler(sched: dict) -> str:
    source = sched.get("source", "-")
    if source == "sync":
        return "sync (every task ran in the driver's process)"
    return f"{source} {sched.get('address') or ''}".strip()


def _header(run: RunData) -> str:
    r = run.record
    status = run.state
    rows = [
        ("status", f'<span class="badge {escape(status)}">{escape(status)}</span>'),
        ("user", escape(str(r.get("user", "-")))),
        ("started", format_when(r.get("created_at"))),
        ("finished", format_when(r.get("finished_at"))),
        ("duration", format_duration(r.get("duration"))),
        ("tags", escape(", ".join(r.get("tags") or []) or "-")),
        ("scheduler", escape(_scheduler(r.get("scheduler") or {}))),
        ("store", escape(run.store_url)),
        ("tasks", plural(len(run.tasks), "task")),
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
        none = "nothing committed" if task.status != "succeeded" else "none set by this step"
        return (
            f'<tr><td>{escape(task.task_id)}</td><td colspan="4" class="muted">'
            f"{none} ({escape(task.status)})</td></tr>"
        )
    return "".join(
        f"<tr><td>{escape(task.task_id)}</td><td>{escape(a.name)}</td>"
        f"<td>{escape(a.type_name)}</td><td>{_size(a.size)}</td>"
        f"<td><code>{escape(a.preview)}</code></td></tr>"
        for a in task.artifacts
    )


def _size(n: int | None) -> str:
    """An artifact's size as the rest of dflow and Dask write one (``1.50 kiB``)."""
    return "-" if n is None else format_bytes(int(n))


def _task_row(t: TaskData) -> str:
    last = t.attempts[-1] if t.attempts else None
    return (
        f'<tr class="{escape(t.status)}"><td>{escape(t.task_id)}</td>'
        f"<td>{escape(t.status)}</td><td>{len(t.attempts)}</td>"
        f"<td>{escape(last.where if last else '-')}</td>"
        f"<td>{format_duration(last.duration if last else None)}</td></tr>"
    )


def _inherited_note(shown: list[TaskData]) -> str:
    names = sorted({n for t in shown for n in t.inherited})
    if not names:
        return ""
    return (
        '<p class="inherited muted">Passed on unchanged from the parent step '
        f"(not repeated per task): {escape(', '.join(names))}</p>"
    )


def _step_section(step: StepData, run: RunData, kind: str) -> str:
    done = sum(t.status == "succeeded" for t in step.tasks)
    failed = sum(t.status == "failed" for t in step.tasks)
    retried = sum(len(t.attempts) > 1 for t in step.tasks)
    shown = [t for t in step.tasks if t.artifacts is not None]
    arts = "".join(_artifact_rows(t) for t in shown)
    more = len(step.tasks) - len(shown)
    note = (
        f'<p class="muted">Artifacts of {plural(more, "more task")} not shown.</p>'
        if more > 0
        else ""
    )
    task_rows = "".join(_task_row(t) for t in step.tasks[:MAX_TASK_ROWS])
    if len(step.tasks) > MAX_TASK_ROWS:
        rest = plural(len(step.tasks) - MAX_TASK_ROWS, "more task")
        task_rows += (
            f'<tr><td colspan="5" class="muted">… {rest} (all are on the timeline)</td></tr>'
        )
    hist = render_duration_histogram(step.tasks, run.flow)
    hist = f'<div class="hist"><small>task durations</small>{hist}</div>' if hist else ""
    cards = render_cards([c for c in run.cards if c.step == step.name])
    cards = f'<div class="cards"><h4>Cards</h4>{cards}</div>' if cards else ""
    counts = [plural(len(step.tasks), "task"), f"{done} succeeded", f"{failed} failed"]
    counts.append(f"{retried} retried")
    return (
        f'<section class="step" id="step-{escape(step.name)}" data-step="{escape(step.name)}">'
        f"<h3>{escape(step.name)} <small>{escape(kind)} · {' · '.join(counts)}</small></h3>"
        f'<div class="step-body"><div class="step-main">'
        '<table class="artifacts"><tr><th>task</th><th>artifact</th><th>type</th>'
        f"<th>size</th><th>preview</th></tr>{arts}</table>{_inherited_note(shown)}{note}"
        '<details><summary>tasks</summary><table class="tasks"><tr><th>task</th>'
        "<th>status</th><th>attempts</th><th>worker</th><th>duration</th></tr>"
        f"{task_rows}</table></details></div>{hist}</div>{cards}</section>"
    )


def _unreached_section(name: str, kind: str) -> str:
    return (
        f'<section class="step unreached" id="step-{escape(name)}" data-step="{escape(name)}">'
        f"<h3>{escape(name)} <small>{escape(kind)} · not reached: the run ended before this "
        "step</small></h3></section>"
    )


def _failures(run: RunData) -> str:
    failed = [(t, a) for t in run.tasks for a in t.attempts if a.error or a.caught]
    run_error = ErrorRecord.read(run.record.get("error"))
    if not failed and not run_error:
        return '<p class="muted">No attempt failed.</p>'
    parts = []
    final = {(t.step, t.task_id) for t in run.tasks if t.status == "failed"}
    for t, a in failed[:MAX_FAILURES]:
        err = a.error or a.caught
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
            f"{a.attempt}: {escape(err.type or 'Error')} <small>({outcome}; "
            f"{escape(a.where)})</small></h3>"
            f"<p>{escape(err.message)}</p><pre>{escape(err.traceback)}</pre></div>"
        )
    if len(failed) > MAX_FAILURES:
        parts.append(
            f'<p class="muted">… {plural(len(failed) - MAX_FAILURES, "more failed attempt")}.</p>'
        )
    if run_error and not any(a.error for _, a in failed):
        parts.append(
            f'<div class="failure"><h3>run: {escape(run_error.type)}'
            f"</h3><p>{escape(run_error.message)}</p>"
            f"<pre>{escape(run_error.traceback)}</pre></div>"
        )
    return "".join(parts)


def render_page(run: RunData, *, now: float | None = None) -> str:
    """The full HTML document of the report of ``run``."""
    graph = run_graph(run)
    order = [n.name for n in sorted(graph.nodes, key=lambda n: (n.layer, n.row))]
    kinds = {n.name: n.kind for n in graph.nodes}
    by_name = {s.name: s for s in run.steps}
    order += [s.name for s in run.steps if s.name not in kinds]
    sections = "".join(
        _step_section(by_name[name], run, kinds.get(name, ""))
        if name in by_name
        else _unreached_section(name, kinds.get(name, ""))
        for name in order
    )
    links = {name: f"#step-{name}" for name in order}
    unreached = sum(n.state == "unreached" for n in graph.nodes)
    graph_note = (
        f'<p class="legend">{plural(unreached, "step")} not reached (grey, dashed).</p>'
        if unreached
        else ""
    )
    if not graph.recorded:
        graph_note += (
            '<p class="legend">This run was recorded before dflow kept the flow\'s graph: '
            "this one is rebuilt from the tasks that ran.</p>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(run.flow)}/{escape(run.run_id)} · dflow report</title>"
        f"<style>{PAGE_CSS}</style></head><body>{_header(run)}"
        '<section id="graph"><h2>Graph</h2><p class="legend">Each step is outlined in the '
        "colour Dask gives its tasks; its bar fills with its tasks done (failed: dark). "
        f'Click a step to pick out its tasks.</p>{graph_note}<div class="scroll">'
        f"{render_graph_svg(graph, links)}</div></section>"
        '<section id="timeline-section"><h2>Timeline</h2><p class="legend">'
        "One row per step (its tasks in the step's colour) · "
        '<span class="key failed"></span>failed '
        '<span class="key running"></span>running · outlined: a retry · hover a bar for '
        "task, worker and timing · drag across the timeline to zoom, double-click to zoom "
        'out</p><div class="scroll">'
        f"{render_timeline_svg(run, now, order)}</div></section>"
        f'<section id="parameters"><h2>Parameters</h2>{_parameters(run)}</section>'
        f'<section id="steps"><h2>Steps and artifacts</h2>{sections}</section>'
        f'<section id="failures"><h2>Failures</h2>{_failures(run)}</section>'
        f"<footer>dflow run report · {escape(run.flow)}/{escape(run.run_id)}</footer>"
        f"<script>{PAGE_JS}</script></body></html>"
    )
