"""The console progress line: per-step counts, drawn only on a terminal."""

from __future__ import annotations

import io

from dflow.engine import progress as progress_module
from dflow.engine.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_counts_tasks_done_per_step():
    p = Progress(enabled=False)
    p.update("start", 1, 1)
    p.update("fit", 37, 100)
    p.update("join", 0, 1)
    assert p.line() == "start 1/1 | fit 37/100 | join 0/1"


def test_it_draws_on_a_terminal_and_clears_before_other_output(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(progress_module, "original_stream", lambda name: terminal)
    p = Progress(interval=0.0)
    assert p.enabled
    p.update("fit", 3, 10)
    assert terminal.getvalue().endswith("fit 3/10")
    p.clear()
    assert terminal.getvalue().endswith("\r\x1b[2K")


def test_it_stays_quiet_when_output_is_not_a_terminal(monkeypatch):
    pipe = io.StringIO()
    monkeypatch.setattr(progress_module, "original_stream", lambda name: pipe)
    p = Progress(interval=0.0)
    assert not p.enabled
    p.update("fit", 3, 10)
    p.clear()
    assert pipe.getvalue() == ""


def test_the_drawn_line_has_elapsed_time_and_a_bar(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(progress_module, "original_stream", lambda name: terminal)
    p = Progress(interval=0.0)
    p.update("start", 1, 1)
    p.update("fit", 4, 9)
    drawn = terminal.getvalue().rsplit("\r\x1b[2K", 1)[-1]
    elapsed, bar, rest = drawn.split(" ", 2)[0], drawn.split("[")[1].split("]")[0], drawn
    assert elapsed.replace(".", "").isdigit() or elapsed.endswith(("s", "us"))
    assert bar == "#" * 10 + "-" * 10  # 5 of 10 tasks
    assert rest.endswith("] 5/10 | start 1/1 | fit 4/9")
