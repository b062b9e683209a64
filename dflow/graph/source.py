"""Find the source (file, AST node) of a flow class and of its step functions.

Works from the functions' code objects (``co_filename``, ``co_firstlineno``) and
:mod:`linecache`, so classes defined in files and in notebook cells (whose cells
IPython registers in linecache) are found alike, inherited steps included.
"""

from __future__ import annotations

import ast
import linecache
import sys
import threading
from collections.abc import Callable

from dflow.errors import FlowDefinitionError

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

#: CPython 3.11's AST constructor is not safe when threads parse at once (it raises
#: "SystemError: AST constructor recursion depth mismatch"): flows validated from several
#: threads (runs started at once) parse one at a time.
_PARSE_LOCK = threading.Lock()


class SourceIndex:
    """Parsed source files, cached by file name."""

    def __init__(self) -> None:
        self._trees: dict[str, ast.Module | None] = {}
        self._functions: dict[str, dict[tuple[str, int], FunctionNode]] = {}
        self._classes: dict[str, list[ast.ClassDef]] = {}

    def tree(self, filename: str) -> ast.Module | None:
        """The AST of a file (or notebook cell), None when its source is unavailable."""
        if filename not in self._trees:
            lines = linecache.getlines(filename)
            if not lines:
                linecache.checkcache(filename)
                lines = linecache.getlines(filename)
            try:
                with _PARSE_LOCK:
                    self._trees[filename] = ast.parse("".join(lines)) if lines else None
            except SyntaxError:
                self._trees[filename] = None
        return self._trees[filename]

    def function_node(self, func: Callable) -> tuple[str, FunctionNode] | None:
        """``(file, FunctionDef)`` of a function, matched by name and first line."""
        code = getattr(func, "__code__", None)
        if code is None:
            return None
        functions = self._functions.get(code.co_filename)
        if functions is None:
            tree = self.tree(code.co_filename)
            functions = self._functions[code.co_filename] = {
                (node.name, min([node.lineno] + [d.lineno for d in node.decorator_list])): node
                for node in (ast.walk(tree) if tree is not None else ())
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
        node = functions.get((code.co_name, code.co_firstlineno))
        return None if node is None else (code.co_filename, node)

    def class_node(self, cls: type) -> tuple[str, ast.ClassDef] | None:
        """``(file, ClassDef)`` of a class, found through its functions or its module."""
        files: list[tuple[str, int]] = []
        for value in vars(cls).values():
            code = getattr(value, "__code__", None)
            if code is not None:
                files.append((code.co_filename, code.co_firstlineno))
        module = sys.modules.get(cls.__module__)
        module_file = getattr(module, "__file__", None)
        if module_file:
            files.append((module_file, 0))
        for filename, line in files:
            found = self._class_in(filename, cls.__name__, line)
            if found is not None:
                return filename, found
        return None

    def _class_in(self, filename: str, name: str, line: int) -> ast.ClassDef | None:
        if filename not in self._classes:
            tree = self.tree(filename)
            self._classes[filename] = [
                n for n in (ast.walk(tree) if tree else ()) if isinstance(n, ast.ClassDef)
            ]
        candidates = [n for n in self._classes[filename] if n.name == name]
        for node in candidates:
            if line == 0 or node.lineno <= line <= (node.end_lineno or node.lineno):
                return node
        return None


def require_source(cls: type, index: SourceIndex) -> tuple[str, ast.ClassDef]:
    """The class's source, or a FlowDefinitionError saying where to define the flow."""
    found = index.class_node(cls)
    if found is None:
        raise FlowDefinitionError(
            f"cannot read the source of flow {cls.__name__!r}: dflow parses the class "
            "statically to check its graph",
            hint="define the flow in a .py file or a notebook cell, not with exec() or type()",
        )
    return found
