"""Two ways to execute a run's units behind one small interface.

A *unit* is what the driver submits: one Dask task that runs several tasks of one step
(:func:`dflow.engine.task.run_unit`); ``submit`` gives back its :class:`UnitFuture`.

:class:`DaskExecutor` submits each unit to a ``distributed`` client, its dependencies
passed as futures, so Dask starts it when they finish and data moves worker to worker.
:class:`SyncExecutor` runs each unit in this process the moment it is submitted (its
dependencies are always done by then), for pdb and fast tests. The driver is the same.
"""

from __future__ import annotations

import concurrent.futures
from collections import deque
from collections.abc import Callable
from typing import Any

from dflow.engine.worker_cache import WorkerCache, bound
from dflow.errors import SchedulerError

#: Seconds between looks at the workers' start while a wait for units is on.
_STARTING_POLL = 0.01


class UnitFuture:
    """The future of a submitted unit: its Dask ``key``, ``result()``, ``exception()``."""

    def __init__(self, key: str) -> None:
        self.key = key

    def result(self) -> Any:  # pragma: no cover - overridden
        """The unit's return value (raises its exception if it failed)."""
        raise NotImplementedError

    def exception(self) -> BaseException | None:  # pragma: no cover - overridden
        """The exception the unit raised, or None."""
        raise NotImplementedError


class SyncUnitFuture(UnitFuture):
    """A unit already run in-process."""

    def __init__(self, key: str, value: Any = None, error: BaseException | None = None) -> None:
        super().__init__(key)
        self._value = value
        self._error = error

    def result(self) -> Any:  # noqa: D102
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self) -> BaseException | None:  # noqa: D102
        return self._error


class SyncExecutor:
    """Runs every unit in this process, in submission order."""

    address = "sync"
    dashboard_link: str | None = None
    in_process = True

    def __init__(self) -> None:
        self._completed: deque[SyncUnitFuture] = deque()
        self._cache = WorkerCache()  # this run's own: nothing outlives it in the process

    def submit(
        self, fn: Callable, *args: Any, key: str, resources: dict | None = None
    ) -> UnitFuture:
        """Run ``fn(*args)`` now, with any future among ``args`` replaced by its result."""
        values = []
        for arg in args:
            if isinstance(arg, SyncUnitFuture):
                if arg.exception() is not None:
                    future = SyncUnitFuture(key, error=arg.exception())
                    self._completed.append(future)
                    return future
                arg = arg.result()
            values.append(arg)
        try:
            with bound(self._cache):
                future = SyncUnitFuture(key, value=fn(*values))
        except Exception as exc:  # recorded on the future, reported by the driver
            future = SyncUnitFuture(key, error=exc)
        self._completed.append(future)
        return future

    def constant(self, value: Any, key: str) -> Any:
        """A value every unit receives (in-process: the value itself)."""
        return value

    def wait_any(self) -> list[UnitFuture]:
        """The units finished since the last call."""
        done = list(self._completed)
        self._completed.clear()
        return done

    def cancel_all(self) -> None:
        """Nothing is ever pending in-process."""

    def worker_resources(self) -> list[dict] | None:
        """In-process runs do not enforce @resources."""
        return None


class DaskUnitFuture(UnitFuture):
    """A unit submitted to Dask."""

    def __init__(self, future) -> None:
        super().__init__(future.key)
        self.future = future

    def result(self) -> Any:  # noqa: D102
        return self.future.result()

    def exception(self) -> BaseException | None:  # noqa: D102
        status = self.future.status
        if status == "finished":
            return None
        if status == "error":
            return self.future.exception()
        # cancelled (someone cancelled it, or the client lost the scheduler) or lost
        return RuntimeError(f"Dask task {self.key} ended as {status!r}")


class DaskExecutor:
    """Submits units to a distributed Client."""

    in_process = False

    def __init__(self, client, starting: concurrent.futures.Future | None = None) -> None:
        """``starting``, for a cluster whose workers are still starting, is done once
        they have (and raises what stopped one): until then waits also watch it."""
        from distributed import as_completed

        from dflow.engine.worker_plugin import register

        register(client)  # capture, @environment and the worker cache, on every worker
        self.client = client
        self._starting = starting
        self._ac = as_completed()
        self._futures: dict[str, DaskUnitFuture] = {}

    def wait_for_workers(self, timeout: float | None = None) -> bool:
        """Whether the cluster's workers have started, waiting up to ``timeout`` seconds
        (None: until they have); raises SchedulerError if one could not start."""
        if self._starting is None:
            return True
        try:
            self._starting.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            return False
        except Exception as exc:  # noqa: BLE001 - whatever stopped a worker process
            raise SchedulerError(
                f"the local Dask cluster's workers did not start: {type(exc).__name__}: {exc}",
                hint="run with --scheduler sync to run in this process, or start a cluster "
                "with `dflow cluster up` and read its logs",
            ) from exc
        self._starting = None
        return True

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return self.client.scheduler.address

    @property
    def dashboard_link(self) -> str | None:
        """The dashboard's URL, if the scheduler serves one."""
        try:
            return self.client.dashboard_link
        except Exception:  # noqa: BLE001 - no dashboard is not an error
            return None

    def constant(self, value: Any, key: str) -> Any:
        """Put ``value`` on the cluster once, as a task Dask can recompute if a worker dies."""
        return self.client.submit(_identity, value, key=key, pure=False)

    def submit(
        self, fn: Callable, *args: Any, key: str, resources: dict | None = None
    ) -> UnitFuture:
        """Submit ``fn(*args)``; unit futures among ``args`` become Dask dependencies."""
        args = tuple(a.future if isinstance(a, DaskUnitFuture) else a for a in args)
        dask_future = self.client.submit(
            fn, *args, key=key, resources=resources or None, pure=False
        )
        future = DaskUnitFuture(dask_future)
        self._futures[dask_future.key] = future
        self._ac.add(dask_future)
        return future

    def wait_any(self) -> list[UnitFuture]:
        """Block until at least one unit finishes; return every finished one."""
        # While the workers still start, wait in short turns: one failing to is an error.
        batch = self._ac.next_batch(block=self._starting is None)
        while not batch:
            started = self.wait_for_workers(timeout=_STARTING_POLL)
            batch = self._ac.next_batch(block=started)
        return [self._futures.pop(f.key) for f in batch]

    def cancel_all(self) -> None:
        """Cancel every unit still pending."""
        futures = [h.future for h in self._futures.values()]
        if futures:
            self.client.cancel(futures, force=True)
        self._futures.clear()
        self._ac.clear()

    def worker_resources(self) -> list[dict] | None:
        """Each worker's declared resources."""
        self.wait_for_workers()
        info = self.client.scheduler_info(n_workers=-1)
        return [dict(w.get("resources") or {}) for w in info["workers"].values()]


def _identity(value: Any) -> Any:
    return value
