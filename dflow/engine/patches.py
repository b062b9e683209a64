"""Process-wide replacements dflow needs on a worker, installed while held and then undone.

Per-task output capture and the ``@environment`` overlay work by replacing ``sys.stdout``,
``sys.stderr`` and ``os.environ`` with stand-ins that dispatch on a ContextVar. A
:class:`ProcessPatch` installs such a stand-in while at least one holder needs it (the
dflow worker plugin for a worker's lifetime, or one attempt of an in-process run) and puts
the original object back when the last holder lets go, so an interpreter that ran a
``--scheduler sync`` run is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any


class ProcessPatch:
    """``setattr(owner, attr, wrap(original))`` while held; the original back afterwards.

    ``kind`` is the stand-in's type: a holder that finds something else in place (someone
    swapped the attribute, as pytest's capture does between tests) installs a new stand-in
    over it, and each stand-in is undone only if it is still the one in place.
    """

    def __init__(self, owner: Any, attr: str, wrap: Callable[[Any], Any], kind: type) -> None:
        self._owner, self._attr, self._wrap, self._kind = owner, attr, wrap, kind
        self._lock = threading.Lock()
        self._holders = 0
        self._installed: list[tuple[Any, Any]] = []  # (stand-in, what it replaced)

    @property
    def holders(self) -> int:
        """How many holders need the stand-in now."""
        return self._holders

    def acquire(self) -> None:
        """Hold the patch: make sure a stand-in is in place."""
        with self._lock:
            self._holders += 1
            current = getattr(self._owner, self._attr)
            if not isinstance(current, self._kind):
                stand_in = self._wrap(current)
                setattr(self._owner, self._attr, stand_in)
                self._installed.append((stand_in, current))

    def release(self) -> None:
        """Let go; the last holder puts every original it replaced back."""
        with self._lock:
            self._holders = max(0, self._holders - 1)
            if self._holders:
                return
            for stand_in, original in reversed(self._installed):
                if getattr(self._owner, self._attr) is stand_in:
                    setattr(self._owner, self._attr, original)
            self._installed.clear()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the patch for the duration of the block."""
        self.acquire()
        try:
            yield
        finally:
            self.release()
