"""The user's own traceback: frames of dflow, Dask and the standard library's runners removed."""

from __future__ import annotations

import os
import re
import traceback

from dflow.errors import ErrorRecord

#: dflow's own folder (the package root, two levels above this file)
_HIDDEN_DIRS = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,)
_HIDDEN_PACKAGES = ("dask", "distributed", "concurrent", "threading.py", "contextvars", "tornado")


def _hidden(filename: str) -> bool:
    if filename.startswith(_HIDDEN_DIRS):
        return True
    parts = filename.replace("\\", "/").split("/")
    return any(p in _HIDDEN_PACKAGES for p in parts[-3:]) and "site-packages" in filename


def user_traceback(exc: BaseException) -> ErrorRecord:
    """The error record of ``exc``, with only the user's frames in its traceback."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _hidden(f.filename)]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    name = type(exc).__qualname__
    module = type(exc).__module__
    full = name if module in ("builtins", "__main__") else f"{module}.{name}"
    return ErrorRecord(type=full, message=str(exc), traceback="".join(lines))


def map_snapshot_paths(text: str, key: str, source_root: str) -> str:
    """``text`` with paths into an extracted code snapshot (``.../<key>/flow.py``) mapped
    back to the user's own files under ``source_root`` (``/home/me/project/flow.py``), so
    ``file:line`` references open in an editor."""
    if not key or not source_root or key not in text:
        return text
    root = source_root.rstrip("/\\") + os.sep
    return re.sub(r"[^\s\"']*[/\\]" + re.escape(key) + r"[/\\]", lambda _: root, text)
