"""``current``: what the running task is (flow, run, step, task, attempt).

The engine binds a frozen :class:`CurrentInfo` around each task with
``with current._bind(CurrentInfo(...)):``. The value lives in a
:class:`contextvars.ContextVar`, so Dask worker threads running tasks at the same time
each see their own task. Outside a run ``current.is_running_flow`` is False and every
other property is None.

Example::

    from dflow import current

    @step
    def start(self):
        print("running", current.pathspec, "attempt", current.retry_count)
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CurrentInfo:
    """The identity of one running task attempt, as the engine binds it."""

    flow_name: str
    run_id: str
    step_name: str
    task_id: str
    retry_count: int = 0
    origin_run_id: str | None = None
    namespace: str | None = None
    tags: tuple[str, ...] = ()
    username: str | None = None
    project: dict | None = None  # see dflow.project.project_info
    card: Any = None  # the task's card collector (dflow.engine.cards.CardCollector)


_CURRENT: contextvars.ContextVar[CurrentInfo | None] = contextvars.ContextVar(
    "dflow_current", default=None
)
#: Gives the running step's Dask client (bound by the engine around each attempt).
_CLIENT: contextvars.ContextVar[Callable[[], Any] | None] = contextvars.ContextVar(
    "dflow_current_client", default=None
)


class Current:
    """Read-only view of the task being run (Metaflow's ``current``)."""

    @contextmanager
    def _bind(self, info: CurrentInfo) -> Iterator[CurrentInfo]:
        """Make ``info`` the current task for the enclosed block (engine use only)."""
        if not isinstance(info, CurrentInfo):
            raise TypeError(f"current._bind expects a CurrentInfo, got {type(info).__name__}")
        token = _CURRENT.set(info)
        try:
            yield info
        finally:
            _CURRENT.reset(token)

    @contextmanager
    def _bind_client(self, provider: Callable[[], Any]) -> Iterator[None]:
        """Make ``provider()`` what ``current.client`` returns in the block (engine use)."""
        token = _CLIENT.set(provider)
        try:
            yield
        finally:
            _CLIENT.reset(token)

    @property
    def client(self) -> Any:
        """The run's ``distributed.Client`` inside a step on a cluster, else None.

        Dask work in a step (``x.compute()``, ``dask.compute``) already runs on the run's
        cluster; take the client to submit work yourself. Taking it makes the step's own
        task leave the worker's thread pool until the step ends, so waiting on futures
        never deadlocks. Under ``--scheduler sync`` it is None and Dask work uses the
        local threaded scheduler::

            @step
            def start(self):
                client = current.client
                futures = client.map(score, range(100))
                self.scores = client.gather(futures)
                self.next(self.end)
        """
        provider = _CLIENT.get()
        return None if provider is None else provider()

    @property
    def _info(self) -> CurrentInfo | None:
        return _CURRENT.get()

    def _field(self, name: str):
        info = _CURRENT.get()
        return None if info is None else getattr(info, name)

    @property
    def is_running_flow(self) -> bool:
        """True inside a step being run by dflow."""
        return _CURRENT.get() is not None

    @property
    def flow_name(self) -> str | None:
        """Name of the running flow class."""
        return self._field("flow_name")

    @property
    def run_id(self) -> str | None:
        """Id of the running run."""
        return self._field("run_id")

    @property
    def step_name(self) -> str | None:
        """Name of the running step."""
        return self._field("step_name")

    @property
    def task_id(self) -> str | None:
        """Id of the running task."""
        return self._field("task_id")

    @property
    def retry_count(self) -> int | None:
        """Attempt number of the running task (0 for the first attempt)."""
        return self._field("retry_count")

    @property
    def origin_run_id(self) -> str | None:
        """For a resumed run, the run it resumed; else None."""
        return self._field("origin_run_id")

    @property
    def namespace(self) -> str | None:
        """Namespace the run belongs to."""
        return self._field("namespace")

    @property
    def username(self) -> str | None:
        """The user running the flow (``METAFLOW_USER``, ``USERNAME``, ``USER``, login)."""
        return self._field("username")

    def _project(self, key: str):
        project = self._field("project")
        return None if project is None else project[key]

    @property
    def project_name(self) -> str | None:
        """The flow's @project name (None without @project)."""
        return self._project("name")

    @property
    def branch_name(self) -> str | None:
        """The @project branch: ``user.<name>``, ``test.<branch>``, ``prod[.<branch>]``."""
        return self._project("branch")

    @property
    def project_flow_name(self) -> str | None:
        """``<project>.<branch>.<Flow>``, the flow's name within its project."""
        return self._project("flow_name")

    @property
    def is_production(self) -> bool | None:
        """True on a @project's production branch (``--production``)."""
        return self._project("is_production")

    @property
    def is_user_branch(self) -> bool | None:
        """True on the default ``user.<name>`` branch."""
        return self._project("is_user_branch")

    @property
    def card(self) -> Any:
        """The task's cards: ``current.card.append(Markdown("# hi"))``,
        ``current.card["id"].append(...)`` (steps with ``@card``)."""
        return self._field("card")

    @property
    def tags(self) -> tuple[str, ...] | None:
        """Tags of the running run."""
        return self._field("tags")

    @property
    def pathspec(self) -> str | None:
        """``Flow/run_id/step/task_id`` of the running task."""
        info = _CURRENT.get()
        if info is None:
            return None
        return f"{info.flow_name}/{info.run_id}/{info.step_name}/{info.task_id}"

    def __repr__(self) -> str:
        info = _CURRENT.get()
        return "current(not running)" if info is None else f"current({self.pathspec})"


#: The process-wide view; its value is per thread / per asyncio task.
current = Current()
