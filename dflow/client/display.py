"""Plain-text views of runs for the CLI and notebooks: a run table and one run's summary.

>>> format_duration(125.0)
'125.00 s'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from dflow.client.core import Run
from dflow.client.tasks import Step
from dflow.client.timefmt import format_duration, format_when


def table(headers: list[str], rows: Iterable[list[str]]) -> str:
    """Left-aligned columns separated by two spaces, with a header line."""
    rows = [list(map(str, r)) for r in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [headers, *rows]
    ]
    return "\n".join(lines) + "\n"


def format_runs(runs: Iterable[Run]) -> str:
    """A table of runs: id, state (status, or "damaged": :attr:`Run.state`), start,
    duration, tags."""
    rows = [
        [
            r.id,
            r.state,
            format_when(r.created_at),
            format_duration(r.duration),
            ", ".join(sorted(r.user_tags)),
        ]
        for r in runs
    ]
    return table(["run id", "status", "started", "duration", "tags"], rows)


def step_row(step: Step) -> list[str]:
    """One line of :func:`format_run`: step, tasks, status counts, start, duration."""
    tasks = step.tasks()
    records = [t.metadata_dict for t in tasks]
    counts = Counter(t.state for t in tasks)
    status = (
        ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        if len(counts) > 1
        else (next(iter(counts), "-"))
    )
    starts = [r["started_at"] for r in records if r.get("started_at") is not None]
    ends = [r["finished_at"] for r in records if r.get("finished_at") is not None]
    begin = min(starts) if starts else None
    duration = (
        max(ends) - begin if begin is not None and ends and len(ends) == len(records) else None
    )
    started = format_when(begin)
    return [step.id, str(len(records)), status, started, format_duration(duration)]


def format_run(run: Run) -> str:
    """A run as text: header (status, user, tags, times, parameters) and a step table."""
    state = run.state
    lines = [
        f"Run {run.pathspec}  {state}",
        f"  user {run.user or '-'}   tags {', '.join(sorted(run.user_tags)) or '-'}   "
        f"started {format_when(run.created_at)}   duration {format_duration(run.duration)}",
    ]
    params = run.record.get("parameters") or {}
    if params:
        lines.append("  parameters " + ", ".join(f"{k}={v!r}" for k, v in sorted(params.items())))
    if run.origin_pathspec:
        lines.append(f"  resumed from {run.origin_pathspec}")
    if state == "damaged":
        damaged = run.damaged_tasks
        lines.append(
            f"  damaged: {len(damaged)} task(s) whose commit is missing or damaged ("
            + ", ".join(sorted(damaged)[:5])
            + (", ..." if len(damaged) > 5 else "")
            + "); resume reruns them"
        )
    out = "\n".join(lines) + "\n\n"
    out += table(
        ["step", "tasks", "status", "started", "duration"], [step_row(s) for s in run.steps()]
    )
    error = run.exception
    if error:
        attempt = "?" if error.attempt is None else error.attempt
        out += f"\nfailed in {error.task or '?'} (attempt {attempt}): {error}\n"
    return out
