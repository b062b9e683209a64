"""The dflow worker plugin: everything dflow changes in a Dask worker, and its undoing.

:class:`DflowWorkerPlugin` is registered by dflow on every cluster a run uses (by the
executor, once per cluster: registering is idempotent). On each worker, ``setup`` holds
the per-task output capture and ``@environment`` overlay (:mod:`dflow.engine.patches`)
and creates the worker's :class:`~dflow.engine.worker_cache.WorkerCache`; ``teardown``
(the worker closes, or ``client.unregister_worker_plugin("dflow")``) lets both go, so
``sys.stdout``, ``sys.stderr`` and ``os.environ`` are the worker's own again. The plugin
stays registered after a run, so the workers of a long-lived cluster stay warm.
"""

from __future__ import annotations

from distributed import WorkerPlugin

from dflow.engine.capture import STDERR, STDOUT
from dflow.engine.envvars import ENVIRON
from dflow.engine.worker_cache import PLUGIN_NAME, WorkerCache

__all__ = ["PLUGIN_NAME", "DflowWorkerPlugin", "register"]
_PATCHES = (STDOUT, STDERR, ENVIRON)


class DflowWorkerPlugin(WorkerPlugin):
    """Holds dflow's process patches and owns the worker's cache while attached."""

    name = PLUGIN_NAME
    idempotent = True  # a second registration (the next run) keeps the warm cache

    def __init__(self) -> None:
        self.cache: WorkerCache | None = None

    def setup(self, worker) -> None:
        """Install the capture and environment stand-ins; start an empty cache."""
        for patch in _PATCHES:
            patch.acquire()
        self.cache = WorkerCache()

    def teardown(self, worker) -> None:
        """Drop the cache and put the worker's streams and environment back."""
        if self.cache is not None:
            self.cache.close()
            self.cache = None
        for patch in reversed(_PATCHES):
            patch.release()


def register(client) -> None:
    """Register the plugin on ``client``'s cluster (a no-op where it already is)."""
    client.register_plugin(DflowWorkerPlugin(), name=PLUGIN_NAME)
