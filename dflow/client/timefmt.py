"""How dflow's readers (CLI, notebooks, report, dashboard) write a moment and a duration.

A moment is local time to the second, a duration as Dask writes it; either is ``"-"``
when unknown.

>>> format_when(None), format_duration(None), format_duration(0.42), format_duration(3725)
('-', '-', '420.00 ms', '62m 5s')
>>> format_when(datetime(2026, 11, 27, 10, 4, 5))
'2026-11-27 10:04:05'
"""

from __future__ import annotations

from datetime import datetime

from dask.utils import format_time as dask_format_time


def format_when(when: datetime | float | None) -> str:
    """A moment (a datetime, or a Unix timestamp read in local time) as
    ``"2026-11-27 10:04:05"``; ``"-"`` when unknown (None or a zero timestamp)."""
    if not when:
        return "-"
    if not isinstance(when, datetime):
        when = datetime.fromtimestamp(float(when))
    return when.strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float | None) -> str:
    """A duration as Dask formats it (:func:`dask.utils.format_time`), or ``"-"``."""
    return "-" if seconds is None else dask_format_time(float(seconds))
