"""Flow parameters: ``Parameter``, ``JSONType`` and ``IncludeFile``.

A parameter is a class attribute of a flow. Its value is fixed when a run starts
(:func:`resolve_parameters`: defaults applied, CLI strings converted, types checked,
required ones enforced, included files read) and is then read in any step as
``self.<attr>``.

Example::

    class TrainFlow(FlowSpec):
        alpha = Parameter("alpha", default=0.5, help="learning rate")   # float
        config = Parameter("config", type=JSONType, default='{"depth": 3}')
        data = IncludeFile("data", default="data.csv")
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dflow.errors import DflowError, ParameterError


@dataclass(frozen=True)
class ParameterSpec:
    """A flow parameter as the graph sees it (name, type name, default, ...)."""

    name: str
    attr: str  # the class attribute holding the Parameter
    type_name: str  # "str", "int", "float", "bool", "json"
    default: Any = None
    required: bool = False
    help: str | None = None
    is_include_file: bool = False
    line: int = 0


class JSONType:
    """Parameter type for any JSON value; CLI strings and ``str`` values are parsed."""


TYPE_NAMES: dict[Any, str] = {
    str: "str",
    int: "int",
    float: "float",
    bool: "bool",
    JSONType: "json",
}
_TRUE = ("true", "yes", "1", "y", "on")
_FALSE = ("false", "no", "0", "n", "off")


def _infer_type(default: Any) -> Any:
    if isinstance(default, bool):
        return bool
    if isinstance(default, int):
        return int
    if isinstance(default, float):
        return float
    if isinstance(default, (dict, list)):
        return JSONType
    return str


def type_name_of(type_: Any) -> str:
    """``"int"``, ``"json"``... for a supported type, else the type's own name."""
    if type_ in TYPE_NAMES:
        return TYPE_NAMES[type_]
    return getattr(type_, "__name__", repr(type_))


def check_value(type_name: str, value: Any) -> tuple[Any, str | None]:
    """Check a Python value against a type name: ``(value, None)`` or ``(value, problem)``.

    ``int`` widens to ``float``; a ``str`` given for ``json`` is parsed as JSON.
    """
    if type_name == "str":
        return value, None if isinstance(value, str) else f"expects a string, got {value!r}"
    if type_name == "bool":
        return value, None if isinstance(value, bool) else f"expects True or False, got {value!r}"
    if type_name == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return value, None if ok else f"expects an integer, got {value!r}"
    if type_name == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value), None
        return value, f"expects a number, got {value!r}"
    if type_name == "json":
        if isinstance(value, str):
            try:
                return json.loads(value), None
            except json.JSONDecodeError as exc:
                return value, f"expects JSON, got {value!r} ({exc.msg})"
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            return value, f"expects a JSON-serializable value, got {value!r}"
        return value, None
    supported = ", ".join(sorted(TYPE_NAMES.values()))
    return value, f"has unsupported type {type_name!r} (use one of {supported})"


@dataclass(frozen=True)
class ParameterContext:
    """What a callable Parameter default is called with (Metaflow's ParameterContext)."""

    flow_name: str
    user_name: str
    parameter_name: str
    logger: Callable[..., None] = print
    ds_type: str = "dflow"
    configs: Any = None


class Parameter:
    """A flow parameter: ``Parameter(name, default=None, type=None, help=None,
    required=False, separator=None, show_default=True)``.

    ``type`` is str, int, float, bool or JSONType; without it the type is inferred from
    the default (str when there is none). A callable ``default`` is called when a run
    starts with a :class:`ParameterContext` (``ctx.flow_name``, ``ctx.user_name``,
    ``ctx.parameter_name``...). With ``separator=","`` a string value is split into a
    list (Metaflow: string parameters only). In a step, ``self.<attr>`` is the value.
    """

    is_include_file = False

    def __init__(
        self,
        name: str,
        default: Any = None,
        type: Any = None,  # noqa: A002
        help: str | None = None,  # noqa: A002
        required: bool = False,
        separator: str | None = None,
        show_default: bool = True,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ParameterError(f"a Parameter needs a name (a non-empty string), got {name!r}")
        self.name = name
        self.default = default
        inferred = str if callable(default) else _infer_type(default)
        self.type = type if type is not None else inferred
        self.help = help
        self.required = bool(required)
        self.separator = separator
        self.show_default = bool(show_default)
        self.attr: str | None = None
        if separator is not None and (not isinstance(separator, str) or self.type is not str):
            raise ParameterError(
                f"parameter {name!r}: separator= is only allowed for string parameters "
                "(a string separator, type=str)"
            )

    def default_value(self, flow_name: str, user_name: str, configs: Any = None) -> Any:
        """The default for a run; a callable default (a ``config_expr`` too) is called
        with a ParameterContext."""
        if not callable(self.default):
            return self.default
        ctx = ParameterContext(
            flow_name=flow_name, user_name=user_name, parameter_name=self.name, configs=configs
        )
        try:
            return self.default(ctx)
        except DflowError as exc:
            raise self._fail(f"has a default that failed: {exc.message}") from None
        except Exception as exc:
            raise self._fail(
                f"has a callable default that failed: {type(exc).__name__}: {exc}"
            ) from None

    def split(self, value: Any) -> Any:
        """With a separator, a string value as the list of its parts; else the value."""
        if self.separator is not None and isinstance(value, str):
            return value.split(self.separator)
        return value

    @property
    def type_name(self) -> str:
        """The type as a name: ``str``, ``int``, ``float``, ``bool`` or ``json``."""
        return type_name_of(self.type)

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    def __get__(self, obj: Any, cls: type | None = None) -> Any:
        if obj is None:
            return self
        loader = getattr(obj.__dict__.get("_dflow_task"), "loader", None)
        if callable(loader):
            return loader(self.name)
        return self.default

    def __set__(self, obj: Any, value: Any) -> None:
        raise DflowError(
            f"parameter {self.name!r} is read-only inside a run",
            hint=f"store a derived value under another name, e.g. self.{self.attr}_used = ...",
        )

    def __repr__(self) -> str:
        cls = type(self).__name__
        return f"{cls}({self.name!r}, default={self.default!r}, type={self.type_name})"

    def _fail(self, message: str) -> ParameterError:
        return ParameterError(f"parameter {self.name!r} {message}")

    def convert(self, raw: str) -> Any:
        """Convert a CLI string to this parameter's type; ParameterError when it does not fit."""
        if self.type_name == "str":
            return raw
        if self.type_name == "bool":
            lowered = raw.strip().lower()
            if lowered in _TRUE or lowered in _FALSE:
                return lowered in _TRUE
            raise self._fail(f"expects true/false/yes/no/1/0, got {raw!r}")
        if self.type_name in ("int", "float"):
            try:
                return int(raw) if self.type_name == "int" else float(raw)
            except ValueError:
                kind = "an integer" if self.type_name == "int" else "a number"
                raise self._fail(f"expects {kind}, got {raw!r}") from None
        value, problem = check_value(self.type_name, raw)
        if problem:
            raise self._fail(problem)
        return value

    def validate(self, value: Any) -> Any:
        """Check (and normalize, e.g. int to float) a Python value; ParameterError if bad."""
        value, problem = check_value(self.type_name, value)
        if problem:
            raise self._fail(problem)
        return value


class IncludeFile(Parameter):
    """A parameter whose value is a file's contents; the value given is the file's path.

    ``IncludeFile(name, default=None, help=None, is_text=True, encoding="utf-8")``: at run
    start the file is read (text, or bytes when ``is_text=False``). A relative path is
    looked up in the working directory, then beside the flow's file.
    """

    is_include_file = True

    def __init__(
        self,
        name: str,
        default: str | None = None,
        help: str | None = None,  # noqa: A002
        is_text: bool = True,
        encoding: str = "utf-8",
        required: bool = False,
    ) -> None:
        super().__init__(name, default=default, type=str, help=help, required=required)
        self.is_text = is_text
        self.encoding = encoding

    def read(self, path: str, base: Path | None = None) -> str | bytes:
        """Read the file at ``path``; ParameterError when it cannot be read."""
        candidate = Path(path).expanduser()
        if not candidate.is_absolute() and not candidate.exists() and base is not None:
            candidate = base / candidate
        try:
            if self.is_text:
                return candidate.read_text(encoding=self.encoding)
            return candidate.read_bytes()
        except FileNotFoundError:
            raise self._fail(f"names a file that does not exist: {path!r}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise self._fail(f"cannot read {path!r}: {exc}") from None


def _lookup(params: list[tuple[str, Parameter]], given: Mapping[str, Any]):
    by_key: dict[str, Parameter] = {}
    for attr, param in params:
        for key in (param.name, attr, param.name.replace("-", "_")):
            by_key.setdefault(key, param)
    values: dict[str, Any] = {}
    unknown = []
    for key, value in given.items():
        param = by_key.get(key)
        if param is None:
            unknown.append(key)
        elif value is not None:
            values[param.name] = value
    return values, unknown


def resolve_parameters(
    flow_cls: type, given: Mapping[str, Any], *, from_cli: bool = False
) -> dict[str, Any]:
    """The value of every parameter of ``flow_cls`` for a run, by parameter name.

    ``given`` maps parameter names (or attribute names) to values; ``None`` means "not
    given". With ``from_cli=True`` string values are converted with
    :meth:`Parameter.convert`. Defaults are applied, required ones enforced and included
    files read. Raises :class:`ParameterError` listing every problem at once.
    """
    params = flow_cls._dflow_parameters()
    values, unknown = _lookup(params, given)
    problems: list[str] = []
    if unknown:
        names = ", ".join(p.name for _, p in params) or "(none)"
        problems.append(
            f"unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"{flow_cls.__name__} takes: {names}"
        )
    source = flow_source_file(flow_cls)
    base = source.parent if source is not None else None
    resolved: dict[str, Any] = {}
    from dflow.config import user_name

    user = user_name()
    configs = getattr(flow_cls, "_dflow_config_values", None) or {}
    for _, param in params:
        try:
            value = _resolve_one(param, values, from_cli, base, flow_cls.__name__, user, configs)
            resolved[param.name] = param.split(value)
        except ParameterError as exc:
            problems.append(exc.message)
    if problems:
        if len(problems) == 1:
            raise ParameterError(problems[0])
        raise ParameterError(f"{len(problems)} parameter problems: " + "; ".join(problems))
    return resolved


def _resolve_one(
    param: Parameter,
    values: dict[str, Any],
    from_cli: bool,
    base: Path | None,
    flow_name: str = "",
    user: str = "",
    configs: Any = None,
) -> Any:
    if param.name in values:
        value = values[param.name]
        if from_cli and isinstance(value, str):
            value = param.convert(value)
            return param.read(value, base) if isinstance(param, IncludeFile) else value
    elif param.required:
        raise ParameterError(f"parameter {param.name!r} is required: pass --{param.name} VALUE")
    else:
        value = param.default_value(flow_name, user, configs)
    if value is None:
        return None
    value = param.validate(value)
    if isinstance(param, IncludeFile):
        return param.read(value, base)
    return value


def flow_source_file(flow_cls: type) -> Path | None:
    """The file a flow class is defined in, or None (e.g. a notebook cell).

    The steps' own code decides: a class whose steps were compiled from a notebook cell
    has no file even when its module (``__main__``) has one.
    """
    code_files = {
        value.__code__.co_filename
        for value in vars(flow_cls).values()
        if getattr(value, "__code__", None) is not None
    }
    if not code_files:
        module = sys.modules.get(flow_cls.__module__)
        code_files = {module.__file__} if getattr(module, "__file__", None) else set()
    for name in sorted(code_files):
        path = Path(name)
        if path.suffix == ".py" and path.is_file():
            return path.resolve()
    return None
