"""The process the workers of a run's own cluster fork from (multiprocessing's forkserver).

A spawned Dask worker is a fresh interpreter: it imports distributed, the flow's module
and dflow's task code (about half a second each on a 2-core machine) before the run's
first task can start, and shuts the interpreter down at the end. ``python flow.py run``
therefore starts multiprocessing's forkserver first thing (:func:`start_early`): it
imports those modules once, on the other core, while the driver does its own imports;
the nannies of the run's ``LocalCluster`` then fork each worker from it
(:func:`worker_start_method`), with everything imported, and a forked worker exits
without an interpreter shutdown. ``dflow.engine.forkserver_boot``, the forkserver's
first import, gives it distributed's ``pre-spawn-environ`` (one BLAS thread per
worker) before numpy loads.

Only the command line does this: its environment is the one it started with, so the
forkserver's is the workers' own. A library call (``FlowSpec.run()``, a notebook) spawns
its workers as before, unless its process started the forkserver.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator

#: What the forkserver imports before it forks a worker (the boot module first).
PRELOAD = (
    "dflow.engine.forkserver_boot",
    "distributed",
    "dflow.engine.task",
    "dflow.engine.worker_plugin",
)

_state = {"started": False}  # whether this process started the forkserver


def start_early() -> bool:
    """Start the forkserver with :data:`PRELOAD` (once); False where there is none."""
    if _state["started"]:
        return True
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        return False
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(list(PRELOAD))
    forkserver.ensure_running()
    _state["started"] = True
    return True


def stop() -> None:
    """Stop the forkserver :func:`start_early` started (the run found a cluster to use)."""
    if not _state["started"]:
        return
    from multiprocessing import forkserver

    # multiprocessing has no public call for this; its own test suite uses _stop (3.8+)
    stopper = getattr(forkserver._forkserver, "_stop", None)
    if stopper is not None:
        stopper()
    _state["started"] = False


@contextlib.contextmanager
def worker_start_method() -> Iterator[None]:
    """While a cluster's workers start: fork them from the forkserver if this process
    started it (:func:`start_early`), else leave Dask's start method alone."""
    if not _state["started"]:
        yield
        return
    import dask
    import distributed.utils

    # Keep our preload: distributed would otherwise import pandas and lz4 here, in the
    # driver, to preload them into a forkserver that is already running.
    distributed.utils._forkserver_preload_set = True
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        yield
