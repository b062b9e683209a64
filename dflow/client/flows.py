"""The top of the client: :class:`Metaflow` (all flows) and :class:`Flow` (one flow's runs).

Reading is lazy and cheap as history grows: a flow's runs come from ONE listing of the
store's run index (ids sort by start time, so newest first is a reversed list), and a
run's ``run.json`` is read only when that run is touched (its namespace, tags, times...).
``Flow.latest_successful_run`` skips runs the index marks as not succeeded without
reading them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from dflow.client.base import (
    DflowObject,
    checked_name,
)
from dflow.client.context import ClientContext
from dflow.client.core import Run
from dflow.errors import (
    ArtifactCorruptError,
    NamespaceMismatchError,
    ObjectNotFoundError,
)
from dflow.store import RunEntry


class Metaflow:
    """Entry point listing every flow of the store: ``Metaflow().flows``."""

    def __init__(self, context: ClientContext | None = None) -> None:
        from dflow.client.context import DEFAULT_CONTEXT

        self._context = context or DEFAULT_CONTEXT

    @property
    def flows(self) -> list[Flow]:
        """Every flow with runs in the store, by name."""
        return list(self)

    def __iter__(self) -> Iterator[Flow]:
        names = sorted(self._context.store.list_flows())
        return (Flow(name, self._context, _checked=True) for name in names)

    def __getitem__(self, name: str) -> Flow:
        return Flow(name, self._context)

    def __repr__(self) -> str:
        return f"Metaflow({self._context.store.url!r})"


class Flow(DflowObject):
    """A flow's history of runs: ``Flow("TrainFlow").latest_successful_run``.

    Iterating yields the runs of the current namespace, newest first.
    """

    _kind = "flow"

    def __init__(
        self, name: str, context: ClientContext | None = None, *, _checked: bool = False
    ) -> None:
        super().__init__(str(name), context)
        checked_name("flow", self.id)
        #: Runs skipped while listing because their record cannot be read: id -> why.
        self.damaged: dict[str, str] = {}
        if not _checked and self.id not in self.store.list_flows():
            raise ObjectNotFoundError(
                f"flow {self.id!r} has no runs in the store at {self.store.url}",
                hint="check the flow's class name and the store (--store / DFLOW_STORE)",
            )
        self._warm_entries: list[RunEntry] | None = None
        self._warm_runs: dict[str, Run] = {}
        if not _checked and self._context.namespace is not None and not self._has_a_run():
            raise NamespaceMismatchError(
                f"Object not in namespace {self._context.namespace!r}: flow {self.id!r} has "
                "no runs in the namespace",
                hint="see every namespace with dflow.namespace(None), or pick one with "
                "dflow.namespace('user:<name>')",
            )

    @property
    def parent(self) -> None:
        """Flows have no parent."""
        return None

    def _has_a_run(self) -> bool:
        """True if a run is in the namespace. What it read (the listing, the runs it
        looked at) serves the next use of this object once, so ``Flow(x).latest_run``
        costs what it cost before the check."""
        entries = self.entries()
        self._warm_entries = entries
        succeeded_first = sorted(entries, key=lambda e: e.status != "succeeded")
        for entry in succeeded_first:
            run = self._make_run(entry)
            self._warm_runs[entry.run_id] = run
            if self._readable(run, Run.in_namespace):
                return True
        return False

    def entries(self) -> list[RunEntry]:
        """Every run's id and status from the run index (ONE listing), newest first."""
        if self._warm_entries is not None:
            entries, self._warm_entries = self._warm_entries, None
            return entries
        return list(reversed(self.store.list_runs(self.id)))

    def _make_run(self, entry: RunEntry) -> Run:
        warm = self._warm_runs.pop(entry.run_id, None)
        if warm is not None:
            return warm
        return Run(
            f"{self.id}/{entry.run_id}",
            self._context,
            _namespace_check=False,
            _entry=entry,
            _flow=self,
        )

    def _run(self, entry: RunEntry, tags: tuple[str, ...] = ()) -> Run | None:
        run = self._make_run(entry)
        if self._context.namespace is not None and not self._readable(run, Run.in_namespace):
            return None
        if tags and not set(tags) <= set(run.tags):
            return None
        return run

    def _readable(self, run: Run, check: Callable[[Run], bool]) -> bool:
        """``check(run)``, False (and the run noted in ``damaged``) if its record is bad."""
        try:
            return check(run)
        except ArtifactCorruptError as exc:  # one bad record hides only its own run
            self.damaged[run.id] = exc.message
        except ObjectNotFoundError:
            self.damaged[run.id] = "its run record (run.json) is missing"
        return False

    def readable_runs(self, runs: Iterable[Run]) -> Iterator[Run]:
        """The runs whose record can be read; the others are noted in ``damaged``."""
        for run in runs:
            if self._readable(run, lambda r: r._record() is not None):
                yield run

    def runs(self, *tags: str) -> Iterator[Run]:
        """The runs in the current namespace (having all ``tags``), newest first, lazily."""
        for entry in self.entries():
            run = self._run(entry, tags)
            if run is not None:
                yield run

    def __iter__(self) -> Iterator[Run]:
        return self.runs()

    def __getitem__(self, run_id: str) -> Run:
        return Run(f"{self.id}/{run_id}", self._context, _flow=self)

    @property
    def latest_run(self) -> Run | None:
        """The newest run in the current namespace (any status), or None."""
        return next(self.runs(), None)

    @property
    def latest_successful_run(self) -> Run | None:
        """The newest succeeded run in the current namespace, or None.

        It goes by the runs' index, reading no run: a run whose ``end`` step was caught by
        ``@catch`` is listed there as succeeded, though :attr:`Run.successful` is False.
        """
        for entry in self.entries():
            if entry.status == "succeeded":
                run = self._run(entry)
                if run is not None:
                    return run
        return None

    @property
    def created_at(self) -> datetime | None:
        """When the flow's oldest run started."""
        entries = self.store.list_runs(self.id)
        return self[entries[0].run_id].created_at if entries else None

    def _summary(self) -> dict[str, Any]:
        return {"runs": len(self.store.list_runs(self.id)), "store": self.store.url}
