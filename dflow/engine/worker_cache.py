"""What a worker process keeps between tasks: open stores, imported flow classes, and the
item tables of foreach splits. Keyed by value, so runs never see each other's state."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import cloudpickle

from dflow import config
from dflow.errors import FlowLoadError
from dflow.plan import CodeRef, RunPlan
from dflow.store import Store, open_store

_lock = threading.RLock()
_stores: dict[tuple, Store] = {}
_classes: dict[CodeRef, type] = {}
_snapshot_dirs: set[Path] = set()  # snapshot folders whose modules this process imported
_by_value: set[str] = set()  # module names registered with cloudpickle by value
_examined: set[str] = set()  # module names register_snapshot_modules has looked at
_items: OrderedDict[str, list] = OrderedDict()
_ITEMS_KEEP = 64


def worker_store_options(plan: RunPlan) -> dict:
    """The options this process opens the run's store with.

    A store is identified by its URL; how to reach it can differ between machines (inside
    a container network the S3 endpoint is not the one the client uses). A worker whose
    own configuration (``DFLOW_STORE`` / ``dflow.store.url``) names the same store URL
    lays its own ``DFLOW_STORE_OPTIONS`` over the client's.
    """
    options = dict(plan.store_options)
    if config.get("store.url") == plan.store_url:
        options.update(config.get("store.options") or {})
    return options


def store_for(plan: RunPlan) -> Store:
    """The run's store, opened once per process."""
    options = worker_store_options(plan)
    key = (plan.store_url, json.dumps(options, sort_keys=True, default=str))
    with _lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = open_store(plan.store_url, options)
        return store


def flow_class(plan: RunPlan, store: Store) -> type:
    """The flow class of a run, from the process, a code snapshot or a pickled class."""
    code = plan.code
    with _lock:
        if code.kind == "local":
            if plan.local_class is None:
                raise FlowLoadError(
                    "this run's flow class lives in another process and the run has no code "
                    "snapshot"
                )
            return plan.local_class
        cls = _classes.get(code)
        if cls is None:
            cls = _classes[code] = _load_class(code, store)
        return cls


def _load_class(code: CodeRef, store: Store) -> type:
    if code.kind == "pickle":
        return cloudpickle.loads(store.get_bytes(code.key, name="flow class"))
    folder = Path(store.extract_code(code.key)).resolve()
    path = folder / code.module_path
    _forget_other_snapshots(folder)
    module_name = f"dflow_flow_{code.key[:12]}_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise FlowLoadError(f"cannot import the flow file {code.module_path} from its snapshot")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    register_snapshot_modules(folder)
    try:
        return getattr(module, code.class_name)
    except AttributeError:
        raise FlowLoadError(
            f"the code snapshot's {code.module_path} has no class {code.class_name}"
        ) from None


def _under(module, folder: Path) -> bool:
    file = getattr(module, "__file__", None)
    return bool(file) and Path(file).resolve().is_relative_to(folder)


def _forget_other_snapshots(folder: Path) -> None:
    """Make ``folder`` the snapshot that plain imports (``import helpers``) resolve to.

    A warm worker that ran an older snapshot of the same project still has its modules in
    ``sys.modules`` and its folder on ``sys.path``: both are dropped, so the new run imports
    its own copies. (Module objects a loaded flow already holds stay as they are.)
    """
    for other in [f for f in _snapshot_dirs if f != folder]:
        for name, module in list(sys.modules.items()):
            if _under(module, other):
                del sys.modules[name]
                _examined.discard(name)  # a new module of that name is examined afresh
                _by_value.discard(name)
        while str(other) in sys.path:
            sys.path.remove(str(other))
        _snapshot_dirs.discard(other)
    _snapshot_dirs.add(folder)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def register_snapshot_modules(folder: Path | None = None) -> None:
    """Pickle by value every module imported from a code snapshot.

    Artifacts made of classes defined in the flow's own files (the flow file, its helper
    modules) can then be loaded by a client that has no copy of that code.
    """
    folders = [folder] if folder is not None else list(_snapshot_dirs)
    # Only modules imported since the last call are looked at: a task's cost is a set
    # difference, not a path resolution per module in sys.modules.
    for name in [n for n in list(sys.modules) if n not in _examined]:
        module = sys.modules.get(name)
        if module is None:
            continue
        _examined.add(name)
        if any(_under(module, f) for f in folders):
            cloudpickle.register_pickle_by_value(module)
            _by_value.add(name)


def foreach_items(store: Store, ref: Any) -> list:
    """The item references of a foreach split (a short list, cached per process)."""
    with _lock:
        items = _items.get(ref.key)
        if items is not None:
            _items.move_to_end(ref.key)
            return items
    items = store.load(ref, name="foreach items")
    with _lock:
        _items[ref.key] = items
        while len(_items) > _ITEMS_KEEP:
            _items.popitem(last=False)
    return items
