"""The timeline of every task attempt of a run: one SVG, one ``<rect>`` per attempt.

Rows are lanes: one per worker (by address, else host and pid), split into as many
sub-lanes as the worker ran attempts at the same time. Each attempt is one cheap
``<rect class="tl-item ...">`` with a ``<title>`` tooltip (step/task, attempt, worker,
start, duration, status), so 1,000 tasks draw as ~2,000 elements and the page stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from dflow.report.collect import AttemptData, RunData

LABEL_W, LANE_H, BAR_H, AXIS_H, PAD, PLOT_W = 210, 16, 12, 24, 8, 1000
MIN_BAR_W = 1.5


@dataclass(frozen=True)
class TimelineItem:
    """One attempt placed on the timeline."""

    step: str
    task_id: str
    attempt: AttemptData
    lane: str
    sub: int
    start: float
    end: float


def _lane_name(a: AttemptData) -> str:
    if a.worker:
        return str(a.worker)
    return f"{a.host or '?'} pid {a.pid}" if a.pid else (a.host or "unknown")


def place_items(run: RunData, now: float | None = None) -> tuple[list[TimelineItem], list[str]]:
    """Place every attempt that has a start time; return the items and the lane names."""
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
        lane = _lane_name(a)
        ends = free.setdefault(lane, [])
        sub = next((i for i, e in enumerate(ends) if e <= start), len(ends))
        if sub == len(ends):
            ends.append(end)
        else:
            ends[sub] = end
        items.append(TimelineItem(task.step, task.task_id, a, lane, sub, start, end))
    return items, sorted(free, key=lambda n: min(i.start for i in items if i.lane == n))


def _fmt_s(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def _ticks(span: float) -> list[float]:
    for step in (
        0.001,
        0.002,
        0.005,
        0.01,
        0.02,
        0.05,
        0.1,
        0.2,
        0.5,
        1,
        2,
        5,
        10,
        15,
        30,
        60,
        120,
        300,
        600,
        1800,
        3600,
    ):
        if span / step <= 10:
            return [i * step for i in range(int(span / step) + 1)]
    return [0.0, span]


def render_timeline_svg(run: RunData, now: float | None = None) -> str:
    """The SVG timeline of ``run`` (a note instead when no attempt has a start time)."""
    items, lanes = place_items(run, now)
    if not items:
        return '<p class="muted">No task attempt has started.</p>'
    t0 = min(i.start for i in items)
    span = max(max(i.end for i in items) - t0, 1e-3)
    subs = {lane: 1 + max(i.sub for i in items if i.lane == lane) for lane in lanes}
    top, lane_y = AXIS_H, {}
    for lane in lanes:
        lane_y[lane] = top
        top += subs[lane] * LANE_H + PAD
    width, height = LABEL_W + PLOT_W + PAD * 2, top
    scale = PLOT_W / span
    out = [
        f'<svg id="timeline" class="timeline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="task timeline">'
    ]
    for t in _ticks(span):
        x = LABEL_W + t * scale
        out.append(
            f'<line class="tick" x1="{x:.1f}" y1="{AXIS_H - 6}" x2="{x:.1f}" '
            f'y2="{height}"/><text class="tick" x="{x:.1f}" y="{AXIS_H - 10}">'
            f"{_fmt_s(t)}</text>"
        )
    for lane in lanes:
        y = lane_y[lane]
        out.append(
            f'<text class="lane" x="{LABEL_W - 8}" y="{y + BAR_H}">{escape(lane)}</text>'
            f'<line class="lane" x1="{LABEL_W}" y1="{y - PAD / 2:.0f}" x2="{width}" '
            f'y2="{y - PAD / 2:.0f}"/>'
        )
    for i in items:
        out.append(
            _item_svg(
                i,
                LABEL_W + (i.start - t0) * scale,
                lane_y[i.lane] + i.sub * LANE_H,
                max((i.end - i.start) * scale, MIN_BAR_W),
                t0,
            )
        )
    out.append("</svg>")
    return "".join(out)


def _item_svg(i: TimelineItem, x: float, y: float, w: float, t0: float) -> str:
    a = i.attempt
    retried = " retry" if a.attempt > 0 else ""
    tip = (
        f"{i.step}/{i.task_id} attempt {a.attempt}: {a.status}\n"
        f"worker {i.lane}\nstart +{_fmt_s(i.start - t0)}, took {_fmt_s(i.end - i.start)}"
    )
    if a.error:
        tip += f"\n{a.error.get('type', 'Error')}: {a.error.get('message', '')}"[:300]
    return (
        f'<rect class="tl-item {escape(a.status)}{retried}" data-step="{escape(i.step)}" '
        f'data-task="{escape(i.task_id)}" data-attempt="{a.attempt}" x="{x:.1f}" '
        f'y="{y:.0f}" width="{w:.1f}" height="{BAR_H}"><title>{escape(tip)}</title></rect>'
    )
