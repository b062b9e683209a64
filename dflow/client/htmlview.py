"""How client objects show themselves in a notebook (``_repr_html_``).

Values are formatted the way Dask formats them: durations with
:func:`dask.utils.format_time`, sizes with :func:`dask.utils.format_bytes`, times as
local ``YYYY-MM-DD HH:MM:SS`` (times and durations as :mod:`dflow.client.timefmt` writes
them); a dict (parameters) becomes a table. Everything from data is escaped.

>>> value_html("duration", 7.883415222167969)
'7.88 s'
>>> value_html("size", 1536)
'1.50 kiB'
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from dask.utils import format_bytes

from dflow.client.timefmt import format_duration, format_when

#: Summary keys whose numbers are durations in seconds, and sizes in bytes.
DURATION_KEYS = frozenset({"duration", "elapsed", "took"})
SIZE_KEYS = frozenset({"size", "bytes"})

STYLE = (
    "<style>.dflow-object table{border-collapse:collapse;margin:2px 0 6px}"
    ".dflow-object th,.dflow-object td{text-align:left;padding:1px 10px 1px 0;"
    "vertical-align:top}.dflow-object .muted{color:#778}</style>"
)


def value_html(key: str, value: Any) -> str:
    """One value as HTML, formatted by what ``key`` says it is."""
    if value is None or value == "":
        return '<span class="muted">-</span>'
    if isinstance(value, datetime):
        return format_when(value)
    if key in DURATION_KEYS and isinstance(value, int | float):
        return format_duration(value)
    if key in SIZE_KEYS and isinstance(value, int | float):
        return format_bytes(int(value))
    if isinstance(value, Mapping):
        if not value:
            return '<span class="muted">none</span>'
        return table_html(
            ["name", "value"],
            [[html.escape(str(k)), f"<code>{_json(v)}</code>"] for k, v in value.items()],
        )
    if isinstance(value, float):
        return f"{value:.6g}"
    return html.escape(str(value))


def _json(value: Any) -> str:
    try:
        return html.escape(json.dumps(value, default=repr))
    except (TypeError, ValueError):
        return html.escape(repr(value))


def table_html(headers: list[str], rows: Iterable[list[str]]) -> str:
    """A table of already-escaped cells."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def object_html(kind: str, pathspec: str, summary: Mapping[str, Any], extra: str = "") -> str:
    """The notebook view of one client object: title, its summary and extra sections."""
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{value_html(str(k), v)}</td></tr>"
        for k, v in summary.items()
    )
    title = f"{html.escape(kind)} <code>{html.escape(pathspec)}</code>"
    return f"{STYLE}<div class='dflow-object'><b>{title}</b><table>{rows}</table>{extra}</div>"
