"""A dflow page in the Dask dashboard: the runs a cluster has seen, live.

The page lives at ``/dflow`` on the scheduler's own web server, as a page of the Dask
dashboard: Dask's template and navigation bar (where it is listed as "Dflow"), rendered
on the scheduler at the first load, then live. It lists every run (flow, run id, status,
start, elapsed time, progress) and draws the live ones in full: the flow's graph with
each step filled by its progress in Dask's colours, per-step progress bars, links to
Dask's task stream and to the info pages of live tasks, and failures with their
tracebacks; ``/dflow?run=<flow>/<run_id>`` draws one run, with its parameters and cards.
JSON: ``/dflow/api/runs`` and ``/dflow/api/run/<flow>/<run_id>``.

Install it in either of two ways:

1. As a scheduler preload (what ``dflow cluster up`` does)::

       dask scheduler --preload dflow.dashboard
       LocalCluster(scheduler_kwargs={"preload": ["dflow.dashboard"]})

   :func:`dask_setup` adds a scheduler plugin (which follows dflow's ``dflow-runs`` and
   ``dflow-tasks`` events and its tasks' transitions from the start) and the page's
   handlers.

2. Through distributed's web routes config, without a preload::

       # ~/.config/dask/distributed.yaml
       distributed:
         scheduler:
           http:
             routes: [distributed.http.scheduler.prometheus, distributed.http.scheduler.info,
                      distributed.http.scheduler.json, distributed.http.health,
                      distributed.http.proxy, distributed.http.statics, dflow.dashboard]

   The module's :data:`routes` serve the page; the plugin is installed on the first
   visit and catches up from the scheduler's bounded event log, so the preload is the
   better choice for long-lived clusters.
"""

from __future__ import annotations

from typing import Any

from dflow.dashboard.handlers import routes
from dflow.dashboard.plugin import DflowDashboardPlugin, ensure_plugin
from dflow.dashboard.state import RunBoard

__all__ = ["DflowDashboardPlugin", "RunBoard", "dask_setup", "ensure_plugin", "routes"]


def dask_setup(scheduler: Any) -> None:
    """Preload hook: add the dflow plugin and the ``/dflow`` handlers to ``scheduler``."""
    ensure_plugin(scheduler)
    app = getattr(scheduler, "http_application", None)
    if app is None:  # a scheduler without a web server: the plugin alone
        return
    handlers = [
        ("/" + pattern, cls, {**kwargs, "dask_server": scheduler})
        for pattern, cls, kwargs in routes
    ]
    app.add_handlers(r".*", handlers)
