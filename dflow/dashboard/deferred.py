"""The Dask dashboard's Bokeh pages of a scheduler, connected on their first visit.

Importing Bokeh and building the dashboard's applications takes about half a second,
longer than a short run takes to start. The run's own cluster (the ``LocalCluster`` a
run starts for itself, :mod:`dflow.engine.targets`) therefore starts its scheduler with
its web server listening but without the Bokeh pages (``dashboard=False``), and preloads
this module: the dashboard link printed at the start works the moment it is printed.
Any path that the scheduler's web server does not serve yet (``/``, ``/status``,
``/workers``, ...) reaches :class:`ConnectHandler`, which imports Bokeh in a thread, so
the event loop keeps scheduling, connects Dask's pages exactly as the scheduler would
have at start (``distributed.dashboard.scheduler.connect``), lists ``/dflow`` in their
navigation, and redirects the browser to the same address, now a Dask page. A path that
is no page stays a 404. Nothing else changes: ``/dflow``, ``/info``, ``/health`` and
the JSON routes are the scheduler's own routes and are there from the start.

Use it as a scheduler preload beside ``dflow.dashboard``::

    LocalCluster(scheduler_kwargs={"dashboard": False,
                                   "preload": ["dflow.dashboard", "dflow.dashboard.deferred"]})
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from tornado import web

#: The module whose ``connect`` adds the Bokeh pages (imports Bokeh).
BOKEH_PAGES = "distributed.dashboard.scheduler"


class DeferredPages:
    """Connects a scheduler's Bokeh pages once, on the first request that needs them."""

    def __init__(self, scheduler: Any, prefix: str = "/") -> None:
        self.scheduler = scheduler
        self.prefix = prefix
        self.placeholder = web.Application([(r"/.*", ConnectHandler, {"pages": self})])
        self._connecting: asyncio.Task | None = None

    @property
    def connected(self) -> bool:
        """Whether the Bokeh pages are connected."""
        return self.placeholder not in self.scheduler.http_application.applications

    async def connect(self) -> None:
        """Connect the pages (once; concurrent callers wait for the same connection)."""
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
        await asyncio.shield(self._connecting)

    async def _connect(self) -> None:
        from dflow.dashboard.pages import add_to_navigation

        await asyncio.to_thread(importlib.import_module, BOKEH_PAGES)  # the slow part
        pages = importlib.import_module(BOKEH_PAGES)
        root = self.scheduler.http_application
        root.applications.remove(self.placeholder)
        pages.connect(root, self.scheduler.http_server, self.scheduler, prefix=self.prefix)
        add_to_navigation(self.scheduler)


class ConnectHandler(web.RequestHandler):
    """Any path not served yet: connect the Bokeh pages, then send the browser back."""

    def initialize(self, pages: DeferredPages) -> None:  # noqa: D102
        self.pages = pages

    async def get(self) -> None:  # noqa: D102
        await self.pages.connect()
        self.redirect(self.request.uri or "/")

    head = get


def install(scheduler: Any, prefix: str = "/") -> DeferredPages | None:
    """Serve ``scheduler``'s Bokeh pages from their first visit on; None when the
    scheduler has no web server or already has its pages."""
    root = getattr(scheduler, "http_application", None)
    if root is None or any("bokeh" in str(app).lower() for app in root.applications):
        return None
    pages = DeferredPages(scheduler, prefix)
    root.add_application(pages.placeholder)
    return pages


def dask_setup(scheduler: Any) -> None:
    """Preload hook: :func:`install` on ``scheduler``."""
    install(scheduler)
