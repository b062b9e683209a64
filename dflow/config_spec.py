"""``Config`` and ``config_expr``: configuration a flow reads from a file or a value,
fixed when a run starts (Metaflow 2.13's configs).

``cfg = Config("cfg", default="config.json")`` reads JSON (or what ``parser=`` turns the
text into); ``default_value={...}`` gives it inline. In a step ``self.cfg`` is the value,
with attribute access (``self.cfg.model.depth``). At class level ``cfg.x`` (or
``config_expr("cfg.x")``) stands for a value known only when the run starts, usable in
decorator arguments and Parameter defaults::

    class TrainFlow(FlowSpec):
        cfg = Config("cfg", default="train.json")
        alpha = Parameter("alpha", default=config_expr("cfg.alpha"), type=float)

        @resources(cpu=cfg.cpu)
        @step
        def start(self):
            print(self.cfg.model)

``python flow.py --config cfg other.json run`` or ``--config-value cfg '{"cpu": 2}'``
replaces a config for one run.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dflow.errors import DflowError, ParameterError

CONFIG_VALUES_ATTR = "_dflow_config_values"
_SOURCE_ATTR = "_dflow_decorators_source"


class ConfigValue(dict):
    """A config's value: a dict whose keys also read as attributes (nested too)."""

    def __getattr__(self, name: str) -> Any:
        try:
            value = self[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r} (keys: {sorted(self)})") from None
        return (
            ConfigValue(value)
            if isinstance(value, dict) and not isinstance(value, ConfigValue)
            else value
        )

    def __getitem__(self, key: Any) -> Any:
        value = dict.__getitem__(self, key)
        return (
            ConfigValue(value)
            if isinstance(value, dict) and not isinstance(value, ConfigValue)
            else value
        )


class ConfigExpr:
    """A Python expression over the flow's configs, evaluated when a run starts."""

    def __init__(self, expr: str) -> None:
        self.expr = expr

    def __getattr__(self, name: str) -> ConfigExpr:
        if name.startswith("__"):
            raise AttributeError(name)
        return ConfigExpr(f"{self.expr}.{name}")

    def __getitem__(self, key: Any) -> ConfigExpr:
        return ConfigExpr(f"{self.expr}[{key!r}]")

    def evaluate(self, configs: dict[str, Any]) -> Any:
        """The expression's value with each config bound to its name."""
        try:
            return eval(self.expr, {"__builtins__": {}}, dict(configs))  # noqa: S307
        except Exception as exc:
            raise DflowError(
                f"config expression {self.expr!r} failed: {type(exc).__name__}: {exc}",
                hint=f"the configs are: {', '.join(sorted(configs)) or 'none'}",
            ) from None

    def __call__(self, ctx: Any) -> Any:
        """As a Parameter default: evaluated with the run's configs (``ctx.configs``)."""
        return self.evaluate(ctx.configs or {})

    def __repr__(self) -> str:
        return f"config_expr({self.expr!r})"


def config_expr(expr: str) -> ConfigExpr:
    """An expression over configs, evaluated at run start: ``config_expr("cfg.alpha")``."""
    if not isinstance(expr, str) or not expr.strip():
        raise DflowError(f"config_expr takes a Python expression as a string, got {expr!r}")
    return ConfigExpr(expr)


class Config:
    """A config: ``Config(name, default=None, default_value=None, help=None,
    required=False, parser=None)`` (``default`` is a file path; ``parser`` turns its
    text into a dict, JSON by default)."""

    def __init__(
        self,
        name: str,
        default: str | None = None,
        default_value: Any = None,
        help: str | None = None,  # noqa: A002
        required: bool = False,
        parser: Callable[[str], Any] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ParameterError(f"a Config needs a name (a non-empty string), got {name!r}")
        self.name = name
        self.default = default
        self.default_value = default_value
        self.help = help
        self.required = required
        self.parser = parser
        self.attr = name

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    def __get__(self, obj: Any, cls: type | None = None) -> Any:
        if obj is None:
            return self
        task = obj.__dict__.get("_dflow_task")  # a running task reads the run's value
        if task is not None and callable(task.loader):
            value = task.loader(self.attr)
            return ConfigValue(value) if isinstance(value, dict) else value
        values = getattr(type(obj), CONFIG_VALUES_ATTR, {}) or {}
        return values.get(self.attr)

    def __getattr__(self, name: str) -> ConfigExpr:
        if name.startswith("_"):
            raise AttributeError(name)
        return ConfigExpr(f"{self.__dict__.get('attr', '')}.{name}")

    def _parse(self, text: str, where: str) -> ConfigValue:
        try:
            value = self.parser(text) if self.parser else json.loads(text)
        except Exception as exc:
            raise ParameterError(f"config {self.name!r}: cannot parse {where}: {exc}") from None
        if not isinstance(value, dict):
            raise ParameterError(f"config {self.name!r}: {where} is not a mapping")
        return ConfigValue(value)

    def load(self, given: tuple[str, str] | None, base: Path | None) -> ConfigValue | None:
        """The value for a run: ``given`` is ``("file", path)`` or ``("value", text)``."""
        kind, text = given if given else (None, None)
        if kind == "value":
            return self._parse(text, "--config-value")
        path = text if kind == "file" else self.default
        if path is None:
            if self.default_value is not None:
                value = self.default_value
                return (
                    self._parse(value, "default_value")
                    if isinstance(value, str)
                    else ConfigValue(value)
                )
            if self.required:
                raise ParameterError(
                    f"config {self.name!r} is required: pass --config {self.name} FILE"
                )
            return ConfigValue()
        candidate = Path(path).expanduser()
        if not candidate.is_absolute() and not candidate.exists() and base is not None:
            candidate = base / candidate
        try:
            return self._parse(candidate.read_text(encoding="utf-8"), str(path))
        except FileNotFoundError:
            raise ParameterError(
                f"config {self.name!r} names a file that does not exist: {path!r}"
            ) from None


def flow_configs(flow_cls: type) -> list[tuple[str, Config]]:
    """``(attribute, Config)`` pairs of a flow class, inherited ones included."""
    found: dict[str, Config] = {}
    for klass in reversed(flow_cls.__mro__):
        for attr, value in vars(klass).items():
            if isinstance(value, Config):
                found[attr] = value
    return list(found.items())


def _resolve(value: Any, configs: dict[str, Any]) -> Any:
    return value.evaluate(configs) if isinstance(value, ConfigExpr) else value


def prepare_configs(flow_cls: type, given: dict[str, tuple[str, str]] | None = None) -> dict:
    """Load every config of ``flow_cls`` for a run and put their values where decorators
    and Parameter defaults read them; return ``{config name: value}`` (plain dicts)."""
    configs = flow_configs(flow_cls)
    if not configs:
        return {}
    given = dict(given or {})
    unknown = sorted(set(given) - {c.name for _, c in configs} - {a for a, _ in configs})
    if unknown:
        raise ParameterError(f"unknown config(s) {', '.join(map(repr, unknown))}")
    try:
        base = Path(inspect.getfile(flow_cls)).resolve().parent
    except (TypeError, OSError):
        base = None
    values = {attr: cfg.load(given.get(cfg.name) or given.get(attr), base) for attr, cfg in configs}
    setattr(flow_cls, CONFIG_VALUES_ATTR, values)
    from dataclasses import replace

    from dflow.decorators import DECORATORS_ATTR, is_step

    for klass in flow_cls.__mro__:
        for value in vars(klass).values():
            if not is_step(value):
                continue
            source = getattr(value, _SOURCE_ATTR, None)
            if source is None:
                source = getattr(value, DECORATORS_ATTR, ())
                setattr(value, _SOURCE_ATTR, source)
            resolved = tuple(
                replace(s, options=tuple((k, _resolve(v, values)) for k, v in s.options))
                for s in source
            )
            setattr(value, DECORATORS_ATTR, resolved)
    return {cfg.name: dict(values[attr]) for attr, cfg in configs}
