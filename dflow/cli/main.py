"""The ``dflow`` command group.

Each command module registers its commands here; a command parses its arguments, calls
the library and formats the result. A :class:`~dflow.errors.DflowError` becomes one
clear message on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from dflow.errors import DflowError
from dflow.version import __version__

EPILOG = """\b
Examples:
  dflow check flow.py            validate a flow, listing every problem
  dflow show flow.py             draw a flow's graph as text
  dflow run flow.py --alpha 0.7  run a flow on Dask
  dflow cluster up --workers 2   start a local Dask cluster that later runs use
"""


#: Each command of ``dflow`` and the module whose ``register(group)`` adds it. Modules are
#: imported only when one of their commands is used, so ``dflow run`` does not pay for
#: the client, the cluster tools or the report.
COMMAND_MODULES: dict[str, str] = {
    "check": "flow_commands",
    "show": "flow_commands",
    "run": "flow_commands",
    "resume": "flow_commands",
    "runs": "inspect_commands",
    "logs": "inspect_commands",
    "dump": "inspect_commands",
    "tag": "inspect_commands",
    "code": "inspect_commands",
    "report": "report_commands",
    "cluster": "cluster_commands",
}


class DflowGroup(click.Group):
    """A click group that turns DflowError into a clean message and exit status."""

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except DflowError as exc:
            report_error(exc)
            ctx.exit(exc.exit_code)


class LazyDflowGroup(DflowGroup):
    """The ``dflow`` group: commands are loaded from :data:`COMMAND_MODULES` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: D102
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:  # noqa: D102
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            module = importlib.import_module(f"dflow.cli.{COMMAND_MODULES[cmd_name]}")
            module.register(self)
        return super().get_command(ctx, cmd_name)


def report_error(exc: DflowError) -> None:
    """Print a DflowError as the CLI shows it: ``error: message`` (and its hint)."""
    click.echo(f"error: {exc}", err=True)


@click.group(
    cls=LazyDflowGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, "--version", prog_name="dflow")
def main() -> None:
    """dflow: Metaflow-style workflows that run on Dask."""
    quiet_orphaned_io_errors()


def quiet_orphaned_io_errors() -> None:
    """In the CLI's own process, drop asyncio's "exception was never retrieved" reports
    of connection errors (aiohttp's, on fsspec's I/O loop): the store failure behind them
    is already reported as one dflow error line (dflow.store.failures). A filter on the
    ``asyncio`` logger: nothing is imported or started for commands that never do I/O."""
    logging.getLogger("asyncio").addFilter(_drop_orphaned_connection_errors)


def _drop_orphaned_connection_errors(record: logging.LogRecord) -> bool:
    exc = record.exc_info[1] if record.exc_info else None
    if exc is None:
        return True
    return not (isinstance(exc, OSError) or type(exc).__module__.startswith("aiohttp"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
