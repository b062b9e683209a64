"""The command line of one flow class: ``python flow.py check|show`` (and, from the
engine, ``run``/``resume``).

:func:`build_flow_cli` makes a click group for a flow from :data:`FLOW_COMMANDS`, a list
of command factories ``factory(flow_cls) -> click.Command``: check and show (here), run
and resume (:mod:`dflow.cli.run_commands`), dump, logs, tag and card
(:mod:`dflow.cli.flow_inspect`); more can be added with :func:`register_flow_command`.
:func:`check_flow` and :func:`show_flow` are the single implementations that ``dflow
check FILE`` and ``dflow show FILE`` reuse.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

import click

from dflow.cli import flow_inspect, run_commands
from dflow.cli.flow_options import top_level_configs
from dflow.errors import FlowDefinitionError
from dflow.graph.render import FORMATS

CommandFactory = Callable[[type], click.Command]


def register_flow_command(factory: CommandFactory) -> CommandFactory:
    """Add a command factory to every flow CLI built afterwards (usable as a decorator)."""
    if factory not in FLOW_COMMANDS:
        FLOW_COMMANDS.append(factory)
    return factory


def check_flow(flow_cls: type) -> int:
    """Validate a flow and print the result; 0 when it can run, 1 when it has problems."""
    from dflow.config_spec import prepare_configs
    from dflow.graph import validate

    try:
        prepare_configs(flow_cls, top_level_configs())
        graph = validate(flow_cls)
    except FlowDefinitionError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        if not exc.problems:
            click.echo(f"error: {exc}", err=True)
        count = len(exc.problems)
        click.echo(f"{flow_cls.__name__}: {count} problem{'s' if count != 1 else ''}", err=True)
        return 1
    click.echo(f"{graph.flow_name}: ok ({len(graph)} steps, {len(graph.parameters)} parameters)")
    return 0


def show_flow(flow_cls: type, fmt: str = "text") -> str:
    """The flow's graph rendered as ``text``, ``dot`` or ``mermaid``."""
    from dflow.graph import build_graph
    from dflow.graph.render import render

    return render(build_graph(flow_cls), fmt)


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text listing, Graphviz dot, or Mermaid flowchart.",
)


def _check_command(flow_cls: type) -> click.Command:
    @click.command("check", epilog="\b\nExample:\n  python flow.py check")
    @click.pass_context
    def check(ctx: click.Context) -> None:
        """Validate the flow's graph, listing every problem as file:line."""
        ctx.exit(check_flow(flow_cls))

    return check


def _show_command(flow_cls: type) -> click.Command:
    @click.command(
        "show",
        epilog="\b\nExamples:\n  python flow.py show\n"
        "  python flow.py show --format dot | dot -Tpng > flow.png",
    )
    @FORMAT_OPTION
    def show(fmt: str) -> None:
        """Draw the flow's graph: steps, kinds and transitions."""
        click.echo(show_flow(flow_cls, fmt), nl=False)

    return show


#: Factories of the commands every flow CLI has, in help order.
FLOW_COMMANDS: list[CommandFactory] = [
    _check_command,
    _show_command,
    *run_commands.COMMANDS,
    *flow_inspect.COMMANDS,
]


def build_flow_cli(flow_cls: type) -> click.Group:
    """The click group of a flow: a command per factory in :data:`FLOW_COMMANDS`."""
    from dflow.cli.main import DflowGroup

    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "flow.py"
    group = DflowGroup(
        name=flow_cls.__name__,
        help=f"Commands of the flow {flow_cls.__name__}.",
        epilog=f"\b\nExamples:\n  python {script} check\n  python {script} show --format mermaid",
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for factory in FLOW_COMMANDS:
        group.add_command(factory(flow_cls))
    # Metaflow's top-level place for @project's options: python flow.py --branch x run
    group.params += [
        click.Option(["--branch"], default=None, metavar="NAME", help="The @project branch."),
        click.Option(["--production"], is_flag=True, default=None, help="@project production."),
        click.Option(
            ["--config", "config"],
            nargs=2,
            multiple=True,
            metavar="NAME FILE",
            help="Read Config NAME from FILE for this run.",
        ),
        click.Option(
            ["--config-value", "config_value"],
            nargs=2,
            multiple=True,
            metavar="NAME JSON",
            help="Give Config NAME this value for this run.",
        ),
    ]
    return group


def run_cli(
    flow_cls: type, argv: Sequence[str] | None = None, prog_name: str | None = None
) -> None:
    """Run the flow's command line with ``argv`` (default ``sys.argv[1:]``); exits."""
    group = build_flow_cli(flow_cls)
    if prog_name is None:
        prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else flow_cls.__name__
        prog_name = f"python {prog}"
    group.main(args=list(argv) if argv is not None else None, prog_name=prog_name)
