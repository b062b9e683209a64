"""The scheduler plugin that feeds the dflow page: events and transitions into a RunBoard.

Every hook runs on the scheduler's event loop and does a few dict updates, never I/O.
"""

from __future__ import annotations

import sys
from typing import Any

from distributed.diagnostics.plugin import SchedulerPlugin

from dflow.dashboard.deferred import BOKEH_PAGES
from dflow.dashboard.state import RunBoard, parse_key
from dflow.events import CARDS_TOPIC, RUNS_TOPIC, TASKS_TOPIC

PLUGIN_NAME = "dflow-dashboard"


class DflowDashboardPlugin(SchedulerPlugin):
    """Follows dflow's run/task events and its tasks' states on one scheduler."""

    name = PLUGIN_NAME
    idempotent = True

    def __init__(self) -> None:
        self.board = RunBoard()
        self.scheduler: Any = None
        self._caught_up = False
        self.records: dict[tuple, dict] = {}  # store records of ended runs, for the page

    async def start(self, scheduler: Any) -> None:
        """Catch up with what the scheduler already holds (events log and live tasks)."""
        self.scheduler = scheduler
        self.catch_up(scheduler)

    def catch_up(self, scheduler: Any) -> None:
        """Replay the scheduler's (bounded) event log and current dflow task states, once."""
        if self._caught_up:
            return
        self._caught_up = True
        for _, msg in scheduler.get_events(RUNS_TOPIC):
            self.log_event(RUNS_TOPIC, msg)
        for _, msg in scheduler.get_events(TASKS_TOPIC):
            self.log_event(TASKS_TOPIC, msg)
        for _, msg in scheduler.get_events(CARDS_TOPIC):
            self.log_event(CARDS_TOPIC, msg)
        for key, ts in list(scheduler.tasks.items()):
            if parse_key(key) is not None:
                self.board.on_transition(key, ts.state)

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        """Track the scheduler state of dflow's keys."""
        self.board.on_transition(key, finish)

    def log_event(self, topic: str, msg: Any) -> None:
        """Aggregate ``dflow-runs``, ``dflow-tasks`` and ``dflow-cards`` events (others
        are ignored)."""
        if not isinstance(msg, dict):
            return
        if topic == RUNS_TOPIC:
            self.board.on_run_event(msg)
        elif topic == TASKS_TOPIC:
            self.board.on_task_event(msg)
        elif topic == CARDS_TOPIC:
            self.board.on_card_event(msg)


def ensure_plugin(scheduler: Any) -> DflowDashboardPlugin:
    """The scheduler's dflow plugin, added (and caught up) if it is not there yet."""
    plugin = scheduler.plugins.get(PLUGIN_NAME)
    if isinstance(plugin, DflowDashboardPlugin):
        return plugin
    if BOKEH_PAGES in sys.modules:  # else no Dask page is there yet to link to /dflow:
        from dflow.dashboard.pages import add_to_navigation  # see dflow.dashboard.deferred

        add_to_navigation(scheduler)
    plugin = DflowDashboardPlugin()
    plugin.scheduler = scheduler
    plugin.catch_up(scheduler)
    scheduler.add_plugin(plugin, name=PLUGIN_NAME, idempotent=True)
    return plugin
