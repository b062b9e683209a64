"""Views and services a higher layer provides for a lower layer's objects, by name.

The client must not import the report layer (README, "Working on dflow"), yet a client
``Run`` offers its report: ``run.report()``, and inline in its notebook view. So the
package's top (``dflow/__init__.py``, which Python runs before any ``dflow.*`` module)
registers the report layer's builder here, by name, as ``"module:attribute"``; the
client asks for a view by name and gets None when none is registered. The target is
imported on first use, so neither ``import dflow`` nor the client pays for the report
layer until a report is asked for (the lazy registry of fsspec's ``known_implementations``,
with the registration made by the layer that may know both sides).

Names and their contract:

- ``"run-report"``: ``build(run) -> report`` for a client :class:`~dflow.client.Run`;
  the report has ``.html`` (one self-contained page), ``.save(path)`` and
  ``_repr_html_()`` (the page inline, in an iframe).
- ``"cluster-compute"``: ``compute(client, collection) -> result`` for the store's staged
  writes on a ``distributed`` client (the engine's, which may use distributed: the store
  layer may not); when a task fails, nothing of the collection is still running once the
  error is raised (:func:`dflow.store.array_files.compute_settled`).
- ``"client-run"``: ``build(pathspec, store_url, store_options, *, trusted) -> Run``,
  a run in the client API, for the engine's ``RunResult.run``.

>>> lookup("run-report").__name__
'report_of'
>>> lookup("cluster-compute").__module__
'dflow.engine.dask_context'
>>> lookup("no-such-view") is None
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from dflow.errors import DflowError

#: name -> "module:attribute" (registered) or the callable (once imported)
_VIEWS: dict[str, str | Callable[..., Any]] = {}


def register(name: str, target: str | Callable[..., Any]) -> None:
    """Register ``target`` (a callable, or ``"module:attribute"`` imported on first use)
    as the view ``name``; a later registration replaces an earlier one."""
    if isinstance(target, str) and ":" not in target:
        raise DflowError(f"renderer {name!r}: {target!r} is not 'module:attribute'")
    _VIEWS[name] = target


def lookup(name: str) -> Callable[..., Any] | None:
    """The view registered as ``name`` (imported now if it was named), or None."""
    target = _VIEWS.get(name)
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = _VIEWS[name] = getattr(importlib.import_module(module), attr)
    return target
