"""The ``dflow`` command group.

Each command module registers its commands here; a command parses its arguments, calls
the library and formats the result. A :class:`~dflow.errors.DflowError` becomes one
clear message on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys

import click

from dflow import __version__
from dflow.errors import DflowError

EPILOG = """\b
Examples:
  dflow check flow.py            validate a flow, listing every problem
  dflow show flow.py             draw a flow's graph as text
  dflow run flow.py --alpha 0.7  run a flow on Dask
  dflow cluster up --workers 2   start a local Dask cluster that later runs use
"""


class DflowGroup(click.Group):
    """A click group that turns DflowError into a clean message and exit status."""

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except DflowError as exc:
            report_error(exc)
            ctx.exit(exc.exit_code)


def report_error(exc: DflowError) -> None:
    """Print a DflowError as the CLI shows it: ``error: message`` (and its hint)."""
    click.echo(f"error: {exc}", err=True)


@click.group(cls=DflowGroup, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dflow")
def main() -> None:
    """dflow: Metaflow-style workflows that run on Dask."""


def _register() -> None:
    from dflow.cli import flow_commands

    flow_commands.register(main)
    for name in ("run_commands", "cluster_commands", "inspect_commands", "report_commands"):
        try:
            module = __import__(f"dflow.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:  # a command module not written yet
            if exc.name != f"dflow.cli.{name}":
                raise
            continue
        module.register(main)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
