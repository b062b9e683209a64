"""A step's Dask context: the run's cluster is the default scheduler inside a step, and a
step that waits on the cluster gives its worker slot back while it waits.

On a worker, distributed already routes ``dask.compute`` (and ``x.compute()``) made in a
task's own thread to the worker's client, and that client's blocking ``get`` secedes the
task from the worker's thread pool while the computation runs. Three things it does not
cover are handled here:

- ``current.client`` hands the step the worker's client; the first time a step takes it,
  the task secedes (as ``distributed.worker_client`` does), so ``client.submit(...)``
  followed by ``future.result()`` never waits on a slot it holds itself. The task
  rejoins the thread pool when the attempt ends.
- A step under ``@timeout`` runs in a thread of its own; the task's thread only waits for
  it, so it secedes while it waits (:func:`slot_released`), and Dask work made in the
  step's thread runs on the cluster without a deadlock, even on one worker with one thread.
- ``@retry``'s wait between attempts (:func:`slot_released` again): nothing runs, so the
  slot is free for other tasks.

Everything is context-local (a :class:`contextvars.ContextVar` per attempt): tasks that
share a worker's threads never see one another's state, and no process-wide setting
(``dask.config``) is touched. Off a worker (``--scheduler sync``) nothing changes: Dask
work uses Dask's default scheduler of the process and ``current.client`` is None.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any


def worker_task_thread() -> bool:
    """True in the thread a Dask worker runs a task in (one that may secede)."""
    if not on_worker():
        return False
    from distributed import threadpoolexecutor, utils

    task = getattr(utils.thread_state, "key", None)  # set while a worker runs a task
    return task is not None and hasattr(threadpoolexecutor.thread_state, "executor")


def on_worker() -> bool:
    """True inside a task running on a Dask worker (in its own thread or one it started)."""
    try:
        from distributed.worker import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


class TaskSlot:
    """The worker slot of the running task: given back (seceded) at most once, taken
    back (rejoined) by whoever gave it back. Only the task's own thread can secede."""

    def __init__(self) -> None:
        self.thread = threading.get_ident() if worker_task_thread() else None
        self.seceded = False

    def release(self) -> bool:
        """Secede from the worker's thread pool, if this is the task's thread and it has
        not yet; True if this call seceded."""
        if self.thread is None or self.seceded or threading.get_ident() != self.thread:
            return False
        from distributed import secede

        try:
            secede()
        except KeyError:  # something else (worker_client, Client.get) seceded already
            return False
        self.seceded = True
        return True

    def take_back(self) -> None:
        """Rejoin the thread pool if :meth:`release` seceded (blocks until a slot frees)."""
        if self.seceded and threading.get_ident() == self.thread:
            from distributed import rejoin

            self.seceded = False
            rejoin()


@contextlib.contextmanager
def slot_released(slot: TaskSlot | None = None) -> Iterator[None]:
    """While the block runs (a wait), the task's worker slot is free for other tasks."""
    slot = slot or TaskSlot()
    seceded = slot.release()
    try:
        yield
    finally:
        if seceded:
            slot.take_back()


class StepDask:
    """The Dask side of one attempt: the run's client (on a worker) and the task's slot."""

    def __init__(self) -> None:
        self.slot = TaskSlot()
        self._on_worker = on_worker()

    def client(self) -> Any:
        """The run's ``distributed.Client`` (None off a worker); the task secedes."""
        if not self._on_worker:
            return None
        from distributed import get_client

        client = get_client()
        self.slot.release()
        return client

    def close(self) -> None:
        """End of the attempt: rejoin the thread pool if the step made the task secede."""
        self.slot.take_back()


@contextlib.contextmanager
def step_dask() -> Iterator[StepDask]:
    """Bind the attempt's Dask context (``current.client``) for the enclosed block."""
    from dflow.current import current

    state = StepDask()
    try:
        with current._bind_client(state.client):
            yield state
    finally:
        state.close()


def compute_settled(client: Any, value: Any) -> Any:
    """Compute collection ``value`` on ``client``; when a task fails, every other output
    has finished or failed before the first failure (in output order) is raised.

    The store's staged writes use it (``"cluster-compute"`` in :mod:`dflow.renderers`):
    a writer must not outlive the cleanup of a failed save. The calling task gives its
    worker slot back while it waits (:func:`slot_released`), as ``Client.get`` does.
    """
    from distributed import futures_of, wait

    with slot_released():
        persisted = client.persist(value)
        futures = futures_of(persisted)
        try:
            wait(futures)  # every output finished or failed: nothing of it still runs
            failed = [f for f in futures if f.status == "error"]
            if failed:
                failed[0].result()  # raises the task's own exception
            return client.compute(persisted, sync=True)
        finally:
            for future in futures:
                future.release()
