"""``Problem``: one thing wrong with a flow, at a file and line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    if not path or not os.path.isabs(path):
        return path
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


@dataclass(frozen=True)
class Problem:
    """A lint problem. ``str(problem)`` is ``path:line: message`` and an indented hint.

    ``check`` names the lint check that found it (e.g. ``"unknown_target"``).
    """

    file: str
    line: int
    message: str
    hint: str | None = None
    check: str = field(default="", compare=False)

    def __str__(self) -> str:
        text = f"{display_path(self.file)}:{self.line}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text
