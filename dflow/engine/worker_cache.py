"""What a worker process keeps between tasks: open stores, imported flow classes, and the
item tables of foreach splits, in one bounded :class:`WorkerCache`.

The dflow worker plugin (:mod:`dflow.engine.worker_plugin`) owns the cache of a Dask
worker and drops it on teardown; an in-process run binds a cache of its own for its
duration (:func:`bound`). Entries are keyed by value, so runs never see each other's
state, and each table keeps only its most recently used entries.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import cloudpickle

from dflow import config
from dflow.errors import FlowLoadError
from dflow.plan import CodeRef, RunPlan
from dflow.store import Store, open_store


class _Recent(OrderedDict):
    """A mapping that keeps its ``limit`` most recently used entries."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def get_recent(self, key: Hashable) -> Any:
        """The value of ``key`` (now the most recent), or None."""
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Any) -> Any:
        """Store ``value``, dropping the least recently used entries beyond the limit."""
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)
        return value


class WorkerCache:
    """Stores, flow classes and foreach item tables of one process, each table bounded.

    Besides the tables it tracks the code snapshot whose folder is on ``sys.path`` and the
    modules registered with cloudpickle by value, so that :meth:`close` can undo both.
    """

    def __init__(self, stores: int = 8, classes: int = 32, items: int = 64) -> None:
        self._lock = threading.RLock()
        self._stores = _Recent(stores)
        self._classes = _Recent(classes)
        self._items = _Recent(items)
        self._snapshot_dir: Path | None = None  # the snapshot plain imports resolve to
        self._by_value: set[str] = set()  # module names registered with cloudpickle by value
        self._examined: set[str] = set()  # module names register_snapshot_modules looked at

    def store_for(self, plan: RunPlan) -> Store:
        """The run's store, opened once per process."""
        options = worker_store_options(plan)
        key = (plan.store_url, json.dumps(options, sort_keys=True, default=str))
        with self._lock:
            store = self._stores.get_recent(key)
            if store is None:
                store = self._stores.put(key, open_store(plan.store_url, options))
            return store

    def flow_class(self, plan: RunPlan, store: Store) -> type:
        """The flow class of a run, from the process, a code snapshot or a pickled class."""
        code = plan.code
        with self._lock:
            if code.kind == "local":
                if plan.local_class is None:
                    raise FlowLoadError(
                        "this run's flow class lives in another process and the run has no "
                        "code snapshot"
                    )
                return plan.local_class
            cls = self._classes.get_recent(code)
            if cls is None:
                cls = self._classes.put(code, self._load_class(code, store))
            return cls

    def foreach_items(self, store: Store, ref: Any) -> list:
        """The item references of a foreach split (a short list)."""
        with self._lock:
            items = self._items.get_recent(ref.key)
        if items is None:
            items = store.load(ref, name="foreach items")
            with self._lock:
                self._items.put(ref.key, items)
        return items

    def register_snapshot_modules(self, folder: Path | None = None) -> None:
        """Pickle by value every module imported from the code snapshot.

        Artifacts made of classes defined in the flow's own files (the flow file, its helper
        modules) can then be loaded by a client that has no copy of that code.
        """
        folder = folder or self._snapshot_dir
        if folder is None:
            return
        with self._lock:
            # Only modules imported since the last call are looked at: a task's cost is a
            # set difference, not a path resolution per module in sys.modules.
            for name in [n for n in list(sys.modules) if n not in self._examined]:
                module = sys.modules.get(name)
                if module is None:
                    continue
                self._examined.add(name)
                if _under(module, folder):
                    cloudpickle.register_pickle_by_value(module)
                    self._by_value.add(name)

    def close(self) -> None:
        """Drop every entry; undo the snapshot's ``sys.path`` entry and by-value modules."""
        with self._lock:
            self._forget_snapshot()
            self._stores.clear()
            self._classes.clear()
            self._items.clear()
            self._examined.clear()

    def _load_class(self, code: CodeRef, store: Store) -> type:
        if code.kind == "pickle":
            return cloudpickle.loads(store.get_bytes(code.key, name="flow class"))
        folder = Path(store.extract_code(code.key)).resolve()
        path = folder / code.module_path
        self._use_snapshot(folder)
        module_name = f"dflow_flow_{code.key[:12]}_{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise FlowLoadError(f"cannot import the flow file {code.module_path} from its snapshot")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        self.register_snapshot_modules(folder)
        # Not importable by name from here on: functions of the flow file that a step hands
        # to Dask (map_blocks, bag.map) then travel by value (cloudpickle), since the
        # scheduler and the other workers cannot import this snapshot's module.
        sys.modules.pop(module_name, None)
        try:
            return getattr(module, code.class_name)
        except AttributeError:
            raise FlowLoadError(
                f"the code snapshot's {code.module_path} has no class {code.class_name}"
            ) from None

    def _use_snapshot(self, folder: Path) -> None:
        """Make ``folder`` the snapshot that plain imports (``import helpers``) resolve to.

        A warm worker that ran an older snapshot of the same project still has its modules
        in ``sys.modules`` and its folder on ``sys.path``: both are dropped, so the new run
        imports its own copies. (Module objects a loaded flow already holds stay as they are.)
        """
        if self._snapshot_dir != folder:
            self._forget_snapshot()
        self._snapshot_dir = folder
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))

    def _forget_snapshot(self) -> None:
        other = self._snapshot_dir
        if other is None:
            return
        for name, module in list(sys.modules.items()):
            if _under(module, other):
                del sys.modules[name]
                self._examined.discard(name)  # a new module of that name is examined afresh
                if name in self._by_value:
                    self._by_value.discard(name)
                    with contextlib.suppress(ValueError):
                        cloudpickle.unregister_pickle_by_value(module)
        while str(other) in sys.path:
            sys.path.remove(str(other))
        self._snapshot_dir = None


def worker_store_options(plan: RunPlan) -> dict:
    """The options this process opens the run's store with.

    A store is identified by its URL; how to reach it can differ between machines (inside
    a container network the S3 endpoint is not the one the client uses). A worker whose
    own configuration (``DFLOW_STORE`` / ``dflow.store.url``) names the same store URL
    lays its own ``DFLOW_STORE_OPTIONS`` over the client's. The client's come from the
    driver outside the task graph (:mod:`dflow.engine.credentials`); a plan never holds
    them (its ``store_options`` is empty unless built by hand).
    """
    from dflow.engine.credentials import provided_options

    options = dict(plan.store_options) or provided_options(plan.store_url)
    if config.get("store.url") == plan.store_url:
        options.update(config.get("store.options") or {})
    return options


def _under(module, folder: Path) -> bool:
    file = getattr(module, "__file__", None)
    return bool(file) and Path(file).resolve().is_relative_to(folder)


#: The name the dflow worker plugin (:mod:`dflow.engine.worker_plugin`) is registered under.
PLUGIN_NAME = "dflow"


def _plugin_cache() -> WorkerCache | None:
    """The cache of the dflow plugin of the worker running this task, if any."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except ValueError:  # not inside a Dask task
        return None
    return getattr(worker.plugins.get(PLUGIN_NAME), "cache", None)


_bound: ContextVar[WorkerCache | None] = ContextVar("dflow_worker_cache", default=None)
_fallback_lock = threading.Lock()
_fallback: list[WorkerCache] = []  # a process with neither plugin nor bound cache


@contextlib.contextmanager
def bound(cache: WorkerCache) -> Iterator[WorkerCache]:
    """Make ``cache`` the one this context's tasks use (an in-process run's own cache)."""
    token = _bound.set(cache)
    try:
        yield cache
    finally:
        _bound.reset(token)


def active_cache() -> WorkerCache:
    """The cache of the running task: bound by an in-process run, else the worker plugin's."""
    cache = _bound.get()
    if cache is not None:
        return cache
    cache = _plugin_cache()
    if cache is not None:
        return cache
    with _fallback_lock:
        if not _fallback:
            _fallback.append(WorkerCache())
        return _fallback[0]


def store_for(plan: RunPlan) -> Store:
    """The run's store, from the active cache."""
    return active_cache().store_for(plan)


def flow_class(plan: RunPlan, store: Store) -> type:
    """The run's flow class, from the active cache."""
    return active_cache().flow_class(plan, store)


def foreach_items(store: Store, ref: Any) -> list:
    """A foreach split's item references, from the active cache."""
    return active_cache().foreach_items(store, ref)


def register_snapshot_modules() -> None:
    """Pickle by value the modules the active cache's snapshot imported since last time."""
    active_cache().register_snapshot_modules()
