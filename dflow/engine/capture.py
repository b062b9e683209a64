"""Per-task capture of stdout and stderr, correct when a worker runs tasks in threads.

While a worker plugin or an attempt holds :data:`STDOUT` / :data:`STDERR`, ``sys.stdout``
and ``sys.stderr`` are small dispatchers that write into the :class:`LogSink` bound to the
current context (a ContextVar, so each worker thread sees its own task's sink) and pass
everything else through to the original stream; the originals come back when the last
holder lets go (:mod:`dflow.engine.patches`). A sink keeps the whole text for the store
and hands complete lines to a ``publish`` callback, which streams them to the user's
console while the run goes.
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from dflow.engine.patches import ProcessPatch

_current_sink: ContextVar[LogSink | None] = ContextVar("dflow_log_sink", default=None)

Publisher = Callable[[str, list[str]], None]


class LogSink:
    """Collects one attempt's output; publishes complete lines every ``interval`` seconds.

    ``rewrite`` (if given) is applied to every published line and to the stored text: a
    worker's extracted code snapshot is mapped back to the user's own files there, so a
    warning's ``file:line`` opens the file the user edits.
    """

    def __init__(
        self,
        publish: Publisher | None = None,
        interval: float = 0.2,
        rewrite: Callable[[str], str] | None = None,
    ) -> None:
        self.parts: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._pending: dict[str, str] = {"stdout": "", "stderr": ""}
        self._lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._publish = publish
        self._rewrite = rewrite
        self._interval = interval
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def write(self, stream: str, text: str) -> None:
        """Record text written to ``stream`` ("stdout" or "stderr")."""
        with self._lock:
            self.parts[stream].append(text)
            if self._publish is None:
                return
            pending = self._pending[stream] + text
            *complete, rest = pending.split("\n")
            self._pending[stream] = rest
            self._lines[stream].extend(complete)
            if time.monotonic() - self._last >= self._interval:
                self._flush_locked()

    def flush(self) -> None:
        """Publish every line written so far, the last partial line included."""
        with self._lock:
            for stream, rest in self._pending.items():
                if rest:
                    self._lines[stream].append(rest)
                    self._pending[stream] = ""
            self._flush_locked()

    def _flush_locked(self) -> None:
        self._last = time.monotonic()
        if self._publish is None:
            return
        for stream, lines in self._lines.items():
            if lines:
                self._lines[stream] = []
                if self._rewrite is not None:
                    lines = [self._rewrite(line) for line in lines]
                try:
                    self._publish(stream, lines)
                except Exception:  # noqa: BLE001 - live streaming is best effort; the store keeps all
                    pass

    def text(self, stream: str) -> str:
        """Everything written to ``stream`` (rewritten, see the class docstring)."""
        text = "".join(self.parts[stream])
        return self._rewrite(text) if self._rewrite is not None else text


class _Dispatcher(io.TextIOBase):
    """Stands in for sys.stdout/sys.stderr: routes writes to the context's sink."""

    def __init__(self, name: str, original) -> None:
        self.name = name
        self.original = original

    def write(self, text: str) -> int:  # noqa: D102
        sink = _current_sink.get()
        if sink is None:
            return self.original.write(text)
        sink.write(self.name, text)
        return len(text)

    def flush(self) -> None:  # noqa: D102
        if _current_sink.get() is None:
            self.original.flush()

    def isatty(self) -> bool:  # noqa: D102
        return False if _current_sink.get() is not None else self.original.isatty()

    def fileno(self) -> int:  # noqa: D102
        return self.original.fileno()

    @property
    def encoding(self) -> str:  # noqa: D102
        return getattr(self.original, "encoding", "utf-8")


#: The dispatchers on ``sys.stdout`` and ``sys.stderr``, in place while held.
STDOUT = ProcessPatch(sys, "stdout", lambda original: _Dispatcher("stdout", original), _Dispatcher)
STDERR = ProcessPatch(sys, "stderr", lambda original: _Dispatcher("stderr", original), _Dispatcher)


def original_stream(name: str):
    """The real stream behind a dispatcher (to print around the capture)."""
    stream = getattr(sys, name)
    return stream.original if isinstance(stream, _Dispatcher) else stream


@contextlib.contextmanager
def capturing(sink: LogSink) -> Iterator[LogSink]:
    """Route this context's stdout and stderr into ``sink`` (dispatchers held meanwhile)."""
    with STDOUT.held(), STDERR.held():
        token = _current_sink.set(sink)
        try:
            yield sink
        finally:
            _current_sink.reset(token)
            sink.flush()
