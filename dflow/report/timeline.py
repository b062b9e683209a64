"""The timeline of every task attempt of a run, grouped per step, and per-step histograms.

Rows are steps (in graph order), each split into as many sub-lanes as it ran attempts at
the same time (at most :data:`MAX_SUB_LANES`). Each attempt is one ``<rect class="tl-item
...">`` in its step's Dask colour, at least :data:`MIN_BAR_W` wide, with a ``<title>``
tooltip (step/task, attempt, worker name, start, duration, status and error). A step with
more than :data:`MAX_BARS_PER_STEP` attempts draws its successful ones as a density band
(how many ran at once, per pixel column) instead, so 10,000 tasks stay a light page;
failed attempts are always drawn one by one.

Each bar carries its start and end (``data-s``, ``data-e``, seconds from the first start)
so the page's script can zoom: drag across the timeline to zoom into that span,
double-click to zoom out; ``#zoom=FROM,TO`` in the page's URL opens it zoomed.

Each step section also gets a histogram of its task durations
(:func:`render_duration_histogram`), which reads at any number of tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from dask.utils import format_time

from dflow.report.collect import RunData, TaskData
from dflow.report.graph import plural, step_colour
from dflow.store.attempts import AttemptInfo

LABEL_W, LANE_H, BAR_H, AXIS_H, PAD, PLOT_W = 190, 14, 11, 24, 10, 1150
MIN_BAR_W = 3.0
MAX_SUB_LANES = 8
MAX_BARS_PER_STEP = 2000
DENSITY_PX = 3


@dataclass(frozen=True)
class TimelineItem:
    """One attempt placed on the timeline: its step row and sub-lane."""

    step: str
    task_id: str
    attempt: AttemptInfo
    lane: str
    sub: int
    start: float
    end: float


def place_items(
    run: RunData, now: float | None = None, order: Sequence[str] | None = None
) -> tuple[list[TimelineItem], list[str]]:
    """Place every attempt that has a start time; return the items and the step rows
    (in ``order`` when given, else by first start)."""
    raw = []
    for task in run.tasks:
        for a in task.attempts:
            if a.started_at is None:
                continue
            end = a.finished_at or (a.started_at + a.duration if a.duration else None)
            end = end if end is not None else (now or a.started_at)
            raw.append((a.started_at, max(end, a.started_at), task, a))
    raw.sort(key=lambda r: (r[0], r[1]))
    free: dict[str, list[float]] = {}
    items = []
    for start, end, task, a in raw:
        ends = free.setdefault(task.step, [])
        sub = next((i for i, e in enumerate(ends) if e <= start), len(ends))
        if sub == len(ends) and sub >= MAX_SUB_LANES:
            sub = min(range(len(ends)), key=ends.__getitem__)  # overlap the earliest-free
        if sub == len(ends):
            ends.append(end)
        else:
            ends[sub] = max(end, ends[sub])
        items.append(TimelineItem(task.step, task.task_id, a, task.step, sub, start, end))
    first = {}
    for i in items:
        first.setdefault(i.lane, i.start)
    rows = [s for s in (order or ()) if s in first]
    rows += sorted((s for s in first if s not in rows), key=first.__getitem__)
    return items, rows


def _ticks(span: float) -> list[float]:
    for step in (
        *(m * 10.0**e for e in range(-3, 2) for m in (1, 2, 5)),
        *(15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400),
    ):
        if span / step <= 10:
            return [i * step for i in range(int(span / step) + 1)]
    return [0.0, span]


def _tip(i: TimelineItem, t0: float) -> str:
    a = i.attempt
    tip = (
        f"{i.step}/{i.task_id} attempt {a.attempt}: {a.status}\n{a.where}\n"
        f"start +{format_time(i.start - t0)}, took {format_time(i.end - i.start)}"
    )
    if a.error:
        tip += f"\n{a.error.type or 'Error'}: {a.error.message}"[:300]
    return tip


def _item_svg(i: TimelineItem, x: float, y: float, w: float, t0: float, colour: str) -> str:
    a = i.attempt
    retried = " retry" if a.attempt > 0 else ""
    fill = f' style="fill:{colour}"' if a.status == "succeeded" else ""
    return (
        f'<rect class="tl-item {escape(a.status)}{retried}" data-step="{escape(i.step)}" '
        f'data-task="{escape(i.task_id)}" data-attempt="{a.attempt}" '
        f'data-s="{i.start - t0:.6f}" data-e="{i.end - t0:.6f}" x="{x:.1f}" '
        f'y="{y:.0f}" width="{w:.1f}" height="{BAR_H}"{fill}><title>'
        f"{escape(_tip(i, t0))}</title></rect>"
    )


def _density_svg(items: list[TimelineItem], x0: float, y: float, h: float, t0, scale, colour):
    """Successful attempts of a very large step: per pixel column, how many ran at once."""
    cols: dict[int, int] = {}
    for i in items:
        a = int((i.start - t0) * scale // DENSITY_PX)
        b = int((i.end - t0) * scale // DENSITY_PX)
        for c in range(a, b + 1):
            cols[c] = cols.get(c, 0) + 1
    top = max(cols.values(), default=1)
    out = []
    for c, n in sorted(cols.items()):
        bh = max(h * n / top, 2)
        out.append(
            f'<rect class="tl-density" data-step="{escape(items[0].step)}" '
            f'data-s="{c * DENSITY_PX / scale:.6f}" data-e="{(c + 1) * DENSITY_PX / scale:.6f}" '
            f'x="{x0 + c * DENSITY_PX:.0f}" y="{y + h - bh:.1f}" width="{DENSITY_PX}" '
            f'height="{bh:.1f}" style="fill:{colour}"><title>{plural(n, "task")} of '
            f"{escape(items[0].step)} at +{format_time(c * DENSITY_PX / scale)}</title></rect>"
        )
    return "".join(out)


def render_timeline_svg(
    run: RunData, now: float | None = None, order: Sequence[str] | None = None
) -> str:
    """The SVG timeline of ``run`` (a note instead when no attempt has a start time)."""
    items, rows = place_items(run, now, order)
    if not items:
        return '<p class="muted">No task attempt has started.</p>'
    t0 = min(i.start for i in items)
    span = max(max(i.end for i in items) - t0, 1e-3)
    by_row: dict[str, list[TimelineItem]] = {r: [] for r in rows}
    for i in items:
        by_row[i.lane].append(i)
    subs = {r: 1 + max(i.sub for i in by_row[r]) for r in rows}
    top, row_y = AXIS_H, {}
    for r in rows:
        row_y[r] = top
        top += subs[r] * LANE_H + PAD
    width, height = LABEL_W + PLOT_W + PAD * 2, top
    scale = PLOT_W / span
    out = [
        f'<svg id="timeline" class="timeline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="task timeline" '
        f'data-span="{span:.6f}" data-x0="{LABEL_W}" data-w="{PLOT_W}" '
        f'data-min-w="{MIN_BAR_W}" data-axis="{AXIS_H}">',
        '<rect class="tl-brush" x="0" y="0" width="0" height="0"/><g class="ticks">',
    ]
    for t in _ticks(span):
        x = LABEL_W + t * scale
        out.append(
            f'<line class="tick" x1="{x:.1f}" y1="{AXIS_H - 6}" x2="{x:.1f}" '
            f'y2="{height}"/><text class="tick" x="{x:.1f}" y="{AXIS_H - 10}">'
            f"{format_time(t) if t else '0'}</text>"
        )
    out.append("</g>")
    tasks_per_step = {s.name: len(s.tasks) for s in run.steps}
    for r in rows:
        y = row_y[r]
        colour = step_colour(run.flow, r)
        label = f"{r} · {plural(tasks_per_step.get(r, 0), 'task')}"
        out.append(
            f'<g class="tl-row" data-step="{escape(r)}"><rect class="swatch" x="4" '
            f'y="{y}" width="6" height="{subs[r] * LANE_H - 3}" style="fill:{colour}"/>'
            f'<text class="lane" x="{LABEL_W - 8}" y="{y + BAR_H}">{escape(label)}</text>'
            f'<line class="lane" x1="{LABEL_W}" y1="{y - PAD / 2:.0f}" x2="{width}" '
            f'y2="{y - PAD / 2:.0f}"/></g>'
        )
        mine = by_row[r]
        dense = len(mine) > MAX_BARS_PER_STEP
        if dense:
            ok = [i for i in mine if i.attempt.status == "succeeded"]
            out.append(_density_svg(ok, LABEL_W, y, subs[r] * LANE_H - 3, t0, scale, colour))
            mine = [i for i in mine if i.attempt.status != "succeeded"]
        for i in mine:
            x = LABEL_W + (i.start - t0) * scale
            w = max((i.end - i.start) * scale, MIN_BAR_W)
            out.append(_item_svg(i, x, y + i.sub * LANE_H, w, t0, colour))
    out.append("</svg>")
    return "".join(out)


HIST_W, HIST_H, HIST_BINS = 320, 56, 24


def render_duration_histogram(tasks: Sequence[TaskData], flow: str) -> str:
    """A small SVG histogram of the durations of ``tasks`` (their last attempts); empty
    for fewer than two timed tasks."""
    durations = [t.attempts[-1].duration for t in tasks if t.attempts and t.attempts[-1].duration]
    if len(durations) < 2:
        return ""
    lo, hi = min(durations), max(durations)
    width = (hi - lo) / HIST_BINS or 1e-9
    counts = [0] * HIST_BINS
    for d in durations:
        counts[min(int((d - lo) / width), HIST_BINS - 1)] += 1
    top = max(counts)
    bw = HIST_W / HIST_BINS
    colour = step_colour(flow, tasks[0].step)
    bars = []
    for k, n in enumerate(counts):
        if not n:
            continue
        h = max((HIST_H - 14) * n / top, 1.5)
        a, b = lo + k * width, lo + (k + 1) * width
        bars.append(
            f'<rect x="{k * bw:.1f}" y="{HIST_H - 14 - h:.1f}" width="{bw - 1:.1f}" '
            f'height="{h:.1f}" style="fill:{colour}"><title>{plural(n, "task")} took '
            f"{format_time(a)} to {format_time(b)}</title></rect>"
        )
    return (
        f'<svg class="histogram" width="{HIST_W}" height="{HIST_H}" viewBox="0 0 {HIST_W} '
        f'{HIST_H}" role="img" aria-label="task durations">{"".join(bars)}'
        f'<text x="0" y="{HIST_H - 2}">{format_time(lo)}</text>'
        f'<text x="{HIST_W}" y="{HIST_H - 2}" text-anchor="end">{format_time(hi)}</text>'
        "</svg>"
    )
