"""``@step`` and the step decorators (``retry``, ``catch``, ``timeout``, ``resources``,
``environment``).

Here the decorators only *record* what they were given, on the function itself, as
:class:`DecoratorSpec` entries (options with their defaults filled in,
sorted by name). They never wrap the function, so they stack in any order around
``@step``. Options are checked by :func:`check_spec`, which lint runs, so a bad option is
reported with every other problem of the flow, at the decorator's line. What they *do*
at run time belongs to the engine.

Example::

    @resources(memory=2_000)
    @retry(times=2)
    @step
    def fit(self):
        ...
"""

from __future__ import annotations

import ast
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dflow.errors import DflowError

STEP_ATTR = "_dflow_step"
DECORATORS_ATTR = "_dflow_decorators"


@dataclass(frozen=True)
class DecoratorSpec:
    """A step decorator as recorded: its name (``retry``) and options, sorted by name."""

    name: str
    options: tuple[tuple[str, Any], ...] = ()
    line: int = field(default=0, compare=False)  # line of the decorator (0 when unknown)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of one option."""
        return dict(self.options).get(key, default)


def _non_negative(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        return "a number >= 0"
    return None


def _non_negative_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        return "an integer >= 0"
    return None


def _positive(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
        return "a number > 0"
    return None


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "True or False"


def _var_name(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.isidentifier()):
        return None
    return "None or an attribute name (a string)"


def _env_vars(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return None
    return "a dict of str to str"


def _packages_dict(value: Any) -> str | None:
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return None
    return "a dict of package name to version string"


def _optional_str(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else "None or a string"


def _card_type(value: Any) -> str | None:
    return None if value in ("default", "blank") else "'default' or 'blank'"


def _optional_dict(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict) else "None or a dict"


#: name -> {option: (default, checker)}; a checker returns what it expected, or None.
DECORATOR_OPTIONS: dict[str, dict[str, tuple[Any, Callable[[Any], str | None]]]] = {
    "retry": {"times": (3, _non_negative_int), "minutes_between_retries": (2, _non_negative)},
    "catch": {"var": (None, _var_name), "print_exception": (True, _boolean)},
    "timeout": {
        "seconds": (0, _non_negative),
        "minutes": (0, _non_negative),
        "hours": (0, _non_negative),
    },
    "resources": {
        "cpu": (1, _positive),
        "gpu": (0, _non_negative_int),
        "memory": (4096, _positive),
    },
    "environment": {"vars": (None, _env_vars)},
    "card": {
        "type": ("default", _card_type),
        "id": (None, _optional_str),
        "options": (None, _optional_dict),
        "timeout": (45, _non_negative),
    },
    # @pypi / @conda (dflow.cloud_decorators): what the step needs installed
    "packages": {
        "packages": ({}, _packages_dict),
        "python": (None, _optional_str),
        "disabled": (False, _boolean),
    },
}


def check_spec(spec: DecoratorSpec) -> list[tuple[str, str | None]]:
    """Every problem of one decorator's options, as ``(message, hint)`` pairs."""
    known = DECORATOR_OPTIONS.get(spec.name)
    if known is None:
        names = ", ".join(sorted(DECORATOR_OPTIONS))
        return [(f"unknown step decorator @{spec.name}", f"known decorators: {names}")]
    problems: list[tuple[str, str | None]] = []
    for key, value in spec.options:
        if key not in known:
            problems.append(
                (
                    f"@{spec.name} has no option {key!r}",
                    f"@{spec.name} takes: {', '.join(sorted(known))}",
                )
            )
            continue
        expected = known[key][1](value)
        if expected is not None:
            defaults = ", ".join(f"{k}={d!r}" for k, (d, _) in known.items())
            problems.append(
                (
                    f"@{spec.name}({key}=...) must be {expected}, got {value!r}",
                    f"@{spec.name} options and their defaults: {defaults}",
                )
            )
    return problems


def make_spec(name: str, options: dict[str, Any], line: int = 0) -> DecoratorSpec:
    """A DecoratorSpec with the defaults of ``name`` filled in, options sorted by name."""
    merged = {key: default for key, (default, _) in DECORATOR_OPTIONS.get(name, {}).items()}
    merged.update(options)
    return DecoratorSpec(name, tuple(sorted(merged.items())), line=line)


def step(func: Callable) -> Callable:
    """Mark a method of a FlowSpec as a step (``@step``). Returns the function itself."""
    if not callable(func) or not hasattr(func, "__code__"):
        raise DflowError(
            f"@step decorates a function, not {func!r}",
            hint="write @step directly above 'def name(self):'",
        )
    setattr(func, STEP_ATTR, True)
    func._dflow_line = func.__code__.co_firstlineno  # type: ignore[attr-defined]
    return func


def _make_decorator(name: str) -> Callable:
    def decorator(func: Callable | None = None, /, **options: Any) -> Callable:
        if func is None:
            return lambda f: decorator(f, **options)
        if not callable(func) or not hasattr(func, "__code__"):
            raise DflowError(
                f"@{name} takes keyword options only, got {func!r}",
                hint=f"write @{name} or @{name}(option=value) above a step",
            )
        specs = list(getattr(func, DECORATORS_ATTR, ()))
        specs.append(make_spec(name, options, line=func.__code__.co_firstlineno))
        setattr(func, DECORATORS_ATTR, tuple(specs))
        return func

    defaults = ", ".join(f"{k}={d!r}" for k, (d, _) in DECORATOR_OPTIONS[name].items())
    decorator.__name__ = decorator.__qualname__ = name
    decorator.__doc__ = (
        f"Step decorator ``@{name}({defaults})``; usable bare (``@{name}``) or with options."
    )
    return decorator


retry = _make_decorator("retry")
catch = _make_decorator("catch")
timeout = _make_decorator("timeout")
resources = _make_decorator("resources")
environment = _make_decorator("environment")
card = _make_decorator("card")


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets or quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _literal(raw: str) -> Any:
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        lowered = raw.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return raw


def parse_with_spec(text: str) -> DecoratorSpec:
    """Parse ``--with retry:times=2,minutes_between_retries=0`` into a DecoratorSpec.

    Values are Python literals (``2``, ``0.5``, ``True``, ``{"A": "b"}``); anything else
    is kept as a string. Raises DflowError naming every bad option.
    """
    name, _, rest = text.strip().partition(":")
    options: dict[str, Any] = {}
    for part in _split_top_level(rest):
        key, sep, raw = part.partition("=")
        if not sep or not key.strip().isidentifier():
            raise DflowError(
                f"--with {text!r}: {part!r} is not option=value",
                hint="write --with retry:times=2,minutes_between_retries=0",
            )
        options[key.strip()] = _literal(raw.strip())
    spec = make_spec(name.strip(), options)
    problems = check_spec(spec)
    if problems:
        message = "; ".join(msg for msg, _ in problems)
        raise DflowError(f"--with {text!r}: {message}", hint=problems[0][1])
    return spec


def step_decorators(graph_node_or_func: Any) -> dict[str, DecoratorSpec]:
    """The decorators of a step, by name, from its graph node or its function."""
    if callable(graph_node_or_func):
        specs = getattr(graph_node_or_func, DECORATORS_ATTR, ())
    else:  # a graph StepNode
        specs = graph_node_or_func.decorators
    return {spec.name: spec for spec in specs}


def is_step(obj: Any) -> bool:
    """True for a function marked with ``@step``."""
    return callable(obj) and getattr(obj, STEP_ATTR, False) is True
