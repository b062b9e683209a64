"""``@environment`` without leaks: per-task environment variables on a shared worker.

Worker threads share one ``os.environ``. Setting a step's variables there would leak them
into tasks running beside it, so while :data:`ENVIRON` is held (by the worker plugin, or
by the attempt of an in-process run) ``os.environ`` is a mapping that overlays the
variables bound to the current context (a ContextVar) on the real environment, which
comes back when the last holder lets go. ``os.environ[...]``, ``os.getenv`` and
``os.environ.get`` inside the step see its variables; other tasks do not. A subprocess
started by the step gets them when it is given ``env=os.environ.copy()`` or
``env=dict(os.environ)``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar

from dflow.engine.patches import ProcessPatch

_overlay: ContextVar[Mapping[str, str] | None] = ContextVar("dflow_env_overlay", default=None)


class _OverlayEnviron(MutableMapping):
    """os.environ with the current context's variables laid over it."""

    def __init__(self, base: MutableMapping[str, str]) -> None:
        self._base = base

    def __getitem__(self, key: str) -> str:
        overlay = _overlay.get()
        if overlay is not None and key in overlay:
            return overlay[key]
        return self._base[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._base[key] = value

    def __delitem__(self, key: str) -> None:
        del self._base[key]

    def __iter__(self):
        overlay = _overlay.get() or {}
        yield from overlay
        yield from (k for k in self._base if k not in overlay)

    def __len__(self) -> int:
        overlay = _overlay.get() or {}
        return len(self._base) + len([k for k in overlay if k not in self._base])

    def copy(self) -> dict[str, str]:
        """A plain dict of the variables this context sees."""
        return dict(self.items())

    def __getattr__(self, name: str):
        return getattr(self._base, name)


#: The overlay on ``os.environ``, in place while held.
ENVIRON = ProcessPatch(os, "environ", _OverlayEnviron, _OverlayEnviron)


@contextlib.contextmanager
def step_environment(variables: Mapping[str, str] | None) -> Iterator[None]:
    """Make ``variables`` visible to this context only, for the duration of the block."""
    if not variables:
        yield
        return
    merged = dict(_overlay.get() or {})
    merged.update({str(k): str(v) for k, v in variables.items()})
    with ENVIRON.held():
        token = _overlay.set(merged)
        try:
            yield
        finally:
            _overlay.reset(token)
