"""Tornado handlers of the dflow page, served by the scheduler's own web server.

``/dflow`` and ``/dflow/run/<flow>/<run_id>`` are HTML pages whose inline script polls
``/dflow/api/runs`` and ``/dflow/api/run/<flow>/<run_id>`` (JSON). Handlers answer from
the in-memory :class:`~dflow.dashboard.state.RunBoard`; the one store read (the run
record, for parameters, user and the error's traceback) runs in a thread executor so the
scheduler's event loop never blocks on I/O.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from distributed.http.utils import RequestHandler

from dflow.dashboard.pages import run_page, runs_page
from dflow.dashboard.plugin import ensure_plugin
from dflow.errors import DflowError

#: Run records read from the store, by (store, flow, run_id), once the run has ended.
_RECORD_CACHE_SIZE = 64


def read_run_record(store_url: str, flow: str, run_id: str) -> dict:
    """Read a run record (in an executor thread). Errors come back as ``{"error": ...}``.

    A store that cannot be read is reported to the page's user as the error text: the
    page still shows what the scheduler knows.
    """
    from dflow.store import open_store

    try:
        store = open_store(store_url, trusted=False, writable=False)
        record = dict(store.read_run_record(flow, run_id))
        record["tags"] = store.run_tags(flow, run_id, record=record)
    except DflowError as exc:
        return {"store_error": f"{type(exc).__name__}: {exc}"}
    keep = (
        "status",
        "user",
        "tags",
        "parameters",
        "created_at",
        "finished_at",
        "duration",
        "error",
        "tasks",
        "scheduler",
    )
    return {k: record.get(k) for k in keep}


class _Base(RequestHandler):
    """Shared helpers: the plugin of this scheduler and the URL prefix of the page."""

    def board(self) -> Any:
        return ensure_plugin(self.server).board

    def base(self) -> str:
        path = self.request.path
        return path[: path.index("/dflow")] + "/dflow" if "/dflow" in path else "/dflow"

    def send_json(self, doc: dict) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.write(json.dumps(doc, default=str))


class RunsPage(_Base):
    """``/dflow``: every run the cluster has seen, with its steps' progress."""

    def get(self) -> None:  # noqa: D102
        ensure_plugin(self.server)  # routes-only setup: the first visit installs the plugin
        self.write(runs_page(self.base()))


class RunsJSON(_Base):
    """``/dflow/api/runs``: the runs and their per-step counts as JSON."""

    def get(self) -> None:  # noqa: D102
        self.send_json(self.board().snapshot())


class RunPage(_Base):
    """``/dflow/run/<flow>/<run_id>``: one run's steps, task attempts and failures."""

    def get(self, flow: str, run_id: str) -> None:  # noqa: D102
        ensure_plugin(self.server)
        self.write(run_page(self.base(), flow, run_id))


class RunJSON(_Base):
    """``/dflow/api/run/<flow>/<run_id>``: the run's summary, events and its store record."""

    async def get(self, flow: str, run_id: str) -> None:  # noqa: D102
        detail = self.board().detail(flow, run_id)
        if detail is None:
            self.set_status(404)
            self.send_json({"error": f"this scheduler has not seen run {flow}/{run_id}"})
            return
        if detail.get("store"):
            detail["record"] = await self._record(
                detail["store"], flow, run_id, final=detail["status"] != "running"
            )
        self.send_json(detail)

    async def _record(self, store: str, flow: str, run_id: str, final: bool) -> dict:
        cache = ensure_plugin(self.server).records
        key = (store, flow, run_id)
        if key in cache:
            return cache[key]
        loop = asyncio.get_running_loop()
        record = await loop.run_in_executor(None, read_run_record, store, flow, run_id)
        if final and "store_error" not in record:
            if len(cache) >= _RECORD_CACHE_SIZE:
                cache.pop(next(iter(cache)))
            cache[key] = record
        return record


#: ``(pattern, handler, kwargs)`` for ``distributed.scheduler.http.routes``.
routes: list[tuple[str, type, dict]] = [
    (r"dflow", RunsPage, {}),
    (r"dflow/", RunsPage, {}),
    (r"dflow/api/runs", RunsJSON, {}),
    (r"dflow/run/([A-Za-z_]\w*)/(\d+)", RunPage, {}),
    (r"dflow/api/run/([A-Za-z_]\w*)/(\d+)", RunJSON, {}),
]
