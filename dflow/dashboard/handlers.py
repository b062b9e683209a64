"""Tornado handlers of the dflow page, served by the scheduler's own web server.

``/dflow`` (all runs; ``?run=Flow/run_id`` for one) is a page of the Dask dashboard,
rendered on the scheduler from the in-memory :class:`~dflow.dashboard.state.RunBoard`
(:mod:`dflow.dashboard.view`); ``/dflow/api/content`` gives the same content again for
the page's live updates. JSON: ``/dflow/api/runs`` and ``/dflow/api/run/<flow>/<run_id>``.
``/dflow/run/<flow>/<run_id>`` redirects to the one-run view. The one store read (the
run record, for parameters, user and the run's error; and its cards) runs in a thread
executor so the scheduler's event loop never blocks on I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import sys
import time
from typing import Any
from urllib.parse import quote

from distributed.http.utils import RequestHandler

from dflow.dashboard.deferred import BOKEH_PAGES
from dflow.dashboard.pages import render_page
from dflow.dashboard.plugin import ensure_plugin
from dflow.dashboard.view import expanded_runs, run_section, runs_table
from dflow.errors import DflowError

#: Run records read from the store, by (store, flow, run_id), once the run has ended.
_RECORD_CACHE_SIZE = 64


def read_run_record(store_url: str, flow: str, run_id: str) -> dict:
    """Read a run record (in an executor thread). Errors come back as ``{"error": ...}``.

    A store that cannot be read is reported to the page's user as the error text: the
    page still shows what the scheduler knows. ``cards`` holds the run's card HTML
    (:mod:`dflow.report.cards`).
    """
    from dflow.report.cards import render_cards, run_cards
    from dflow.store import open_store

    try:
        store = open_store(store_url, trusted=False, writable=False)
        record = dict(store.read_run_record(flow, run_id))
        record["tags"] = store.run_tags(flow, run_id, record=record)
        steps = {s: store.list_tasks(flow, run_id, s) for s in store.list_steps(flow, run_id)}
        record["cards"] = render_cards(run_cards(store, flow, run_id, steps))
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
        "cards",
    )
    return {k: record.get(k) for k in keep}


def read_live_cards(store_url: str, flow: str, run_id: str, live: dict) -> str:
    """The HTML of running tasks' live cards (``RunState.live_cards``), read from the store
    by their keys (in an executor thread); "" when there are none or they cannot be read."""
    from dflow.report.cards import CardFragment, render_cards
    from dflow.store import open_store

    if not live:
        return ""
    try:
        store = open_store(store_url, trusted=False, writable=False)
        found = []
        for (step, task_id), entry in sorted(live.items()):
            for card in entry["cards"]:
                html = store.get_bytes(card["key"], name=f"live card of {flow}/{run_id}/{step}")
                title = card["type"] + (f" · {card['id']}" if card.get("id") else "")
                title += f" · live (attempt {entry['attempt']})"
                found.append(CardFragment(step, task_id, title, html.decode("utf-8")))
    except DflowError:
        return ""
    return render_cards(found)


class _Base(RequestHandler):
    """Shared helpers: the plugin of this scheduler and JSON answers."""

    def plugin(self) -> Any:
        return ensure_plugin(self.server)

    def board(self) -> Any:
        return self.plugin().board

    def send_json(self, doc: dict) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.write(json.dumps(doc, default=str))

    def worker_names(self) -> dict[str, str]:
        """Worker address -> name, as the dashboard shows them."""
        return {addr: str(ws.name) for addr, ws in self.server.workers.items()}

    async def content(self, selected: str | None) -> str:
        """The page's content: the runs table and the runs drawn in full."""
        now = time.time()
        snap = self.board().snapshot(now)
        summaries = snap["runs"]
        names = self.worker_names()
        parts = [runs_table(summaries, selected)]
        by_key = {f"{r['flow']}/{r['run_id']}": r for r in summaries}
        if selected and selected not in by_key:
            parts.append(f'<p class="n-failed">This scheduler has not seen run {selected}.</p>')
        for key in expanded_runs(summaries, selected):
            flow, _, run_id = key.partition("/")
            run = self.board().runs[(flow, run_id)]
            record = None
            if selected and run.store:
                record = await self.record(run.store, flow, run_id, run.status != "running")
            cards = (record or {}).get("cards") or ""
            if run.live_cards and run.store:
                loop = asyncio.get_running_loop()
                live = dict(run.live_cards)
                cards = (
                    await loop.run_in_executor(None, read_live_cards, run.store, flow, run_id, live)
                    + cards
                )
            parts.append(run_section(run, by_key[key], names, record, cards))
        return "".join(parts)

    async def record(self, store: str, flow: str, run_id: str, final: bool) -> dict:
        cache = self.plugin().records
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


class RunsPage(_Base):
    """``/dflow``: every run the cluster has seen, the live ones drawn in full."""

    async def get(self) -> None:  # noqa: D102
        selected = self.get_argument("run", None)
        content = await self.content(selected)
        api = "dflow/api/content" + (f"?run={quote(selected, safe='')}" if selected else "")
        if BOKEH_PAGES not in sys.modules:  # Dask's page template (deferred pages)
            with contextlib.suppress(ImportError):  # no bokeh: render_page does without
                await asyncio.to_thread(importlib.import_module, BOKEH_PAGES)
        self.write(render_page(self.server, content, api, time.time()))


class ContentJSON(_Base):
    """``/dflow/api/content``: the page's content again, for its live updates."""

    async def get(self) -> None:  # noqa: D102
        html = await self.content(self.get_argument("run", None))
        self.send_json({"time": time.time(), "html": html})


class RunsJSON(_Base):
    """``/dflow/api/runs``: the runs and their per-step counts as JSON."""

    def get(self) -> None:  # noqa: D102
        self.send_json(self.board().snapshot())


class SlashRedirect(_Base):
    """``/dflow/``: to ``/dflow`` (the page's relative links are Dask's, one level deep)."""

    def get(self) -> None:  # noqa: D102
        self.redirect("../dflow")


class RunRedirect(_Base):
    """``/dflow/run/<flow>/<run_id>``: the one-run view of ``/dflow``."""

    def get(self, flow: str, run_id: str) -> None:  # noqa: D102
        self.redirect(f"../../../dflow?run={flow}/{run_id}")


class RunJSON(_Base):
    """``/dflow/api/run/<flow>/<run_id>``: the run's summary, events and its store record."""

    async def get(self, flow: str, run_id: str) -> None:  # noqa: D102
        detail = self.board().detail(flow, run_id)
        if detail is None:
            self.set_status(404)
            self.send_json({"error": f"this scheduler has not seen run {flow}/{run_id}"})
            return
        if detail.get("store"):
            detail["record"] = await self.record(
                detail["store"], flow, run_id, final=detail["status"] != "running"
            )
        self.send_json(detail)


#: ``(pattern, handler, kwargs)`` for ``distributed.scheduler.http.routes``.
routes: list[tuple[str, type, dict]] = [
    (r"dflow", RunsPage, {}),
    (r"dflow/", SlashRedirect, {}),
    (r"dflow/api/runs", RunsJSON, {}),
    (r"dflow/api/content", ContentJSON, {}),
    (r"dflow/run/([A-Za-z_]\w*)/(\d+)", RunRedirect, {}),
    (r"dflow/api/run/([A-Za-z_]\w*)/(\d+)", RunJSON, {}),
]
