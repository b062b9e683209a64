"""Console output of a running flow: a start line, live per-step progress on a terminal
(quiet when output is not one), and the final status."""

from __future__ import annotations

import sys
import time

from dflow.engine.capture import original_stream


class Progress:
    """Tracks tasks done / total per step and redraws one status line on a terminal."""

    def __init__(self, enabled: bool | None = None, interval: float = 0.25) -> None:
        err = original_stream("stderr")
        self.enabled = err.isatty() if enabled is None else enabled
        self.interval = interval
        self.counts: dict[str, tuple[int, int]] = {}
        self._last = 0.0
        self._shown = False
        self.started = time.monotonic()

    def update(self, step: str, done: int, total: int) -> None:
        """Record a step's counts; redraw if it is time."""
        self.counts[step] = (done, total)
        if self.enabled and time.monotonic() - self._last >= self.interval:
            self.draw()

    def line(self) -> str:
        """The status line: ``start 1/1 | fit 37/100 | join 0/1``."""
        return " | ".join(f"{s} {d}/{t}" for s, (d, t) in self.counts.items())

    def status(self, width: int = 20) -> str:
        """Elapsed time, a bar of all tasks done so far and the per-step counts:
        ``12.30 s [########------------] 38/102 | start 1/1 | fit 37/100 | join 0/1``."""
        from dask.utils import format_time

        done = sum(d for d, _ in self.counts.values())
        total = sum(t for _, t in self.counts.values())
        filled = int(width * done / total) if total else 0
        bar = "#" * filled + "-" * (width - filled)
        elapsed = format_time(time.monotonic() - self.started)
        return f"{elapsed} [{bar}] {done}/{total} | {self.line()}"

    def draw(self) -> None:
        """Redraw the status line in place."""
        self._last = time.monotonic()
        err = original_stream("stderr")
        text = self.status()
        err.write("\r\x1b[2K" + (text if len(text) <= 200 else text[:199] + "…"))
        err.flush()
        self._shown = True

    def clear(self) -> None:
        """Remove the status line before other output or at the end."""
        if self._shown:
            err = original_stream("stderr")
            err.write("\r\x1b[2K")
            err.flush()
            self._shown = False


def say(message: str) -> None:
    """Print one line of the driver's own output on stderr."""
    print(message, file=original_stream("stderr") or sys.stderr, flush=True)
