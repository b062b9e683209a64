"""Load a flow class from a file: ``load_flow("train.py")`` or ``"train.py:TrainFlow"``.

The file is imported under a module name that is not ``"__main__"`` (so its
``if __name__ == "__main__":`` block does not run), with its folder on ``sys.path`` so
its own imports work. Every way this can fail is a :class:`FlowLoadError` that says
what to fix: a missing file, a syntax error (``file:line``), an exception while
importing (the user's traceback, shortened to their own frames), no FlowSpec class, or
several without ``:ClassName``.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import traceback
import types
from pathlib import Path

import xxhash

from dflow.errors import DflowError, FlowLoadError
from dflow.flowspec import FlowSpec
from dflow.parameters import flow_source_file

__all__ = ["flow_source_file", "load_flow", "split_spec"]


def split_spec(spec: str) -> tuple[str, str | None]:
    """``"flow.py:Name"`` -> ``("flow.py", "Name")``; ``"flow.py"`` -> ``("flow.py", None)``."""
    path, sep, name = spec.rpartition(":")
    if sep and name.isidentifier() and path:
        return path, name
    return spec, None


def _module_name(path: Path) -> str:
    stem = path.stem
    existing = sys.modules.get(stem)
    if stem.isidentifier() and (
        existing is None or getattr(existing, "__file__", None) == str(path)
    ):
        return stem
    digest = xxhash.xxh3_64_hexdigest(str(path).encode())[:8]
    safe = "".join(c if c.isalnum() else "_" for c in stem)
    return f"_dflow_flow_{safe}_{digest}"


def _user_traceback(exc: BaseException, path: Path) -> str:
    """The exception's traceback, keeping only frames outside importlib and dflow."""
    package = str(Path(__file__).resolve().parent) + os.sep
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith(("<frozen", package))
    ]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def _import(path: Path) -> types.ModuleType:
    source = path.read_text(encoding="utf-8", errors="replace")
    try:
        compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise FlowLoadError(
            f"{path}:{exc.lineno}: syntax error: {exc.msg}", hint="fix the line and try again"
        ) from None
    name = _module_name(path)
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except DflowError:
        sys.modules.pop(name, None)
        raise
    except Exception as exc:
        sys.modules.pop(name, None)
        raise FlowLoadError(
            f"importing {path} failed:\n{_user_traceback(exc, path)}",
            hint="fix the error above (it happens when the file is imported)",
        ) from None
    return module


def load_flow(spec: str) -> type[FlowSpec]:
    """Import a flow file and return its FlowSpec subclass.

    ``spec`` is ``"path.py"`` (the file must define exactly one flow) or
    ``"path.py:ClassName"``.
    """
    raw_path, class_name = split_spec(spec)
    path = Path(raw_path).expanduser().resolve()
    if not path.is_file():
        raise FlowLoadError(
            f"no flow file {raw_path!r}",
            hint="pass the path of a .py file, e.g. dflow check flow.py",
        )
    module = _import(path)
    flows = {
        obj.__name__: obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, FlowSpec)
        and obj is not FlowSpec
        and obj.__module__ == module.__name__
    }
    if class_name is not None:
        if class_name not in flows:
            known = ", ".join(sorted(flows)) or "none"
            raise FlowLoadError(
                f"{raw_path} defines no flow class {class_name!r} (flows there: {known})",
                hint=f"use {raw_path}:ClassName with one of: {known}",
            )
        return flows[class_name]
    if not flows:
        raise FlowLoadError(
            f"{raw_path} defines no FlowSpec subclass",
            hint="a flow is 'class MyFlow(FlowSpec):' with @step methods",
        )
    if len(flows) > 1:
        names = ", ".join(sorted(flows))
        raise FlowLoadError(
            f"{raw_path} defines several flows ({names})",
            hint=f"pick one: {raw_path}:{sorted(flows)[0]}",
        )
    return next(iter(flows.values()))
