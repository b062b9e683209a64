"""What the commands of a flow's command line share: ``--<parameter>`` options and the
``--config`` options given before the command.

The lowest module of the flow CLI: :mod:`dflow.cli.run_commands` and
:mod:`dflow.cli.flow_inspect` build commands from it, and :mod:`dflow.cli.flow_cli`
groups those commands; none of them imports a module above it.
"""

from __future__ import annotations

from typing import Any

import click

from dflow.errors import DflowError


def top_level_configs() -> dict:
    """``--config NAME FILE`` / ``--config-value NAME JSON`` given before the command."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return {}
    params = ctx.find_root().params
    found = {name: ("file", path) for name, path in params.get("config") or ()}
    found.update({name: ("value", text) for name, text in params.get("config_value") or ()})
    return found


class _ParameterType(click.ParamType):
    """Converts a CLI string through Parameter.convert; a bad value is a usage error."""

    def __init__(self, param: Any) -> None:
        self.param = param
        self.name = "file" if param.is_include_file else param.type_name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if not isinstance(value, str):
            return value
        try:
            return self.param.convert(value)
        except DflowError as exc:
            self.fail(exc.message, param, ctx)


def parameter_options(flow_cls: type) -> list[click.Option]:
    """One ``--<name>`` option per flow parameter, converting through Parameter.convert.

    Values not given are None (so :func:`dflow.parameters.resolve_parameters` applies
    defaults and reports every missing required one at once). The option's destination
    is the parameter name with ``-`` as ``_``.
    """
    options = []
    for _, param in flow_cls._dflow_parameters():
        dest = param.name.replace("-", "_")
        extra = []
        if param.required:
            extra.append("required")
        if param.default is not None and param.show_default and not callable(param.default):
            extra.append(f"default: {param.default!r}")
        help_text = (param.help or f"{param.type_name} parameter") + (
            f" [{'; '.join(extra)}]" if extra else ""
        )
        options.append(
            click.Option(
                [f"--{param.name}", dest],
                type=_ParameterType(param),
                default=None,
                help=help_text,
                metavar=("PATH" if param.is_include_file else param.type_name.upper()),
            )
        )
    return options
