"""The worker plugin that carries a store's options to the workers (see
:mod:`dflow.engine.credentials`); a module of its own so that in-process runs never
import ``distributed``."""

from __future__ import annotations

from distributed import WorkerPlugin


class StoreOptionsPlugin(WorkerPlugin):
    """Carries one store's fsspec options to every worker (never through a task)."""

    idempotent = False  # registering again (new credentials) replaces the old ones

    def __init__(self, url: str, options: dict, name: str) -> None:
        self.url, self.options, self.name = url, dict(options), name

    def __repr__(self) -> str:  # never show the options
        return f"StoreOptionsPlugin({self.url!r}, <{len(self.options)} options>)"
