"""How workers get the store's options (credentials) without the task graph.

A run's plan, its task payloads and its records never hold storage options: anyone who
can read a shared scheduler's tasks could read them there. Workers get them instead from:

1. their own configuration: a worker whose ``DFLOW_STORE`` / ``dflow.store.url`` names
   the run's store uses its own ``DFLOW_STORE_OPTIONS`` (what a shared cluster should do:
   give the workers their credentials, and set ``dflow.store.send-options: false`` on the
   clients so theirs never leave their machine);
2. else the options the driver handed over outside the graph: on a Dask cluster a
   :class:`~dflow.engine.options_plugin.StoreOptionsPlugin` registered by the driver (a
   worker plugin: the scheduler's plugin registry and each worker hold it, never a task);
   in-process, a context variable of the driver's thread.

The worker's own options are laid over the driver's, key by key.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from dflow import config
from dflow.store.keys import digest

_in_process: ContextVar[dict[str, dict] | None] = ContextVar("dflow_store_options", default=None)


def plugin_name(url: str) -> str:
    """The worker plugin name that carries the options of the store at ``url``."""
    return f"dflow-store-options-{digest(url.encode())[:16]}"


def sends_options() -> bool:
    """``dflow.store.send-options``: may the driver hand its options to the workers?"""
    return bool(config.get("store.send-options"))


def publish(client, url: str, options: dict) -> None:
    """Hand ``options`` of the store at ``url`` to the workers of ``client``'s cluster."""
    if options and sends_options():
        from dflow.engine.options_plugin import StoreOptionsPlugin

        plugin = StoreOptionsPlugin(url, options, plugin_name(url))
        client.register_plugin(plugin, name=plugin.name)


@contextlib.contextmanager
def provided_in_process(url: str, options: dict) -> Iterator[None]:
    """While the block runs, in-process tasks of this context find ``options`` for ``url``."""
    known = dict(_in_process.get() or {})
    known[url] = dict(options)
    token = _in_process.set(known)
    try:
        yield
    finally:
        _in_process.reset(token)


def provided_options(url: str) -> dict:
    """The options the driver provided for the store at ``url`` ({} if none)."""
    known = _in_process.get()
    if known and url in known:
        return dict(known[url])
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # not inside a Dask task
        return {}
    plugin = worker.plugins.get(plugin_name(url))
    return dict(getattr(plugin, "options", None) or {})
