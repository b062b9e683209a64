"""``dflow check|show|run|resume FILE[:FlowClass]``.

Each loads the file with :func:`dflow.flowfile.load_flow` and calls the same
implementation as ``python flow.py check|show|run|resume`` (:mod:`dflow.cli.flow_cli`).
``dflow show FLOW/RUN`` (a pathspec rather than a file) shows a past run
(:func:`dflow.cli.inspect_commands.show_run`).
"""

from __future__ import annotations

import os

import click

from dflow.cli.flow_cli import FORMAT_OPTION, run_cli


def looks_like_file(target: str) -> bool:
    """True when ``target`` names a flow file (``x.py``, ``x.py:Cls`` or an existing path)."""
    from dflow.flowfile import split_spec

    path, _ = split_spec(target)
    return path.endswith(".py") or os.path.exists(path)


@click.command(
    "check", epilog="\b\nExamples:\n  dflow check flow.py\n  dflow check flows.py:TrainFlow"
)
@click.argument("flow", metavar="FILE[:FlowClass]")
@click.pass_context
def check(ctx: click.Context, flow: str) -> None:
    """Validate a flow file, listing every problem as file:line (exit 1 if any)."""
    from dflow.cli.flow_cli import check_flow
    from dflow.flowfile import load_flow

    ctx.exit(check_flow(load_flow(flow)))


@click.command(
    "show",
    epilog="\b\nExamples:\n  dflow show flow.py\n"
    "  dflow show flow.py:TrainFlow --format mermaid\n"
    "  dflow show flow.py --format dot | dot -Tpng > flow.png\n"
    "  dflow show TrainFlow/latest --store s3://bucket/dflow",
)
@click.argument("target", metavar="FILE[:FlowClass] | FLOW/RUN")
@FORMAT_OPTION
@click.option("--store", metavar="URL", default=None, help="Store of the run (FLOW/RUN only).")
def show(target: str, fmt: str, store: str | None) -> None:
    """Draw a flow's graph (text, dot or mermaid), or show a past run FLOW/RUN."""
    from dflow.cli.flow_cli import show_flow
    from dflow.cli.inspect_commands import show_run
    from dflow.flowfile import load_flow

    if not looks_like_file(target):
        show_run(target, fmt, store)
        return
    click.echo(show_flow(load_flow(target), fmt), nl=False)


_PASS_THROUGH = {
    "ignore_unknown_options": True,
    "allow_extra_args": True,
    "allow_interspersed_args": False,
}


@click.command(
    "run",
    context_settings=_PASS_THROUGH,
    epilog="\b\nExamples:\n  dflow run train.py --alpha 0.7\n"
    "  dflow run train.py:TrainFlow --scheduler sync\n"
    "  dflow run train.py --help      # the flow's parameters and options",
)
@click.argument("flow_file", metavar="FILE[:FlowClass]")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run(flow_file: str, args: tuple[str, ...]) -> None:
    """Run a flow file on Dask (all options of `python FILE run`)."""
    from dflow.flowfile import load_flow

    run_cli(load_flow(flow_file), ["run", *args], prog_name=f"dflow {flow_file}")


@click.command(
    "resume",
    context_settings=_PASS_THROUGH,
    epilog="\b\nExamples:\n  dflow resume train.py\n  dflow resume train.py fit "
    "--origin-run-id 1764203961123456",
)
@click.argument("flow_file", metavar="FILE[:FlowClass]")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def resume(flow_file: str, args: tuple[str, ...]) -> None:
    """Resume the latest (or a given) run of a flow file."""
    from dflow.flowfile import load_flow

    run_cli(load_flow(flow_file), ["resume", *args], prog_name=f"dflow {flow_file}")


def register(main: click.Group) -> None:
    """Add ``check``, ``show``, ``run`` and ``resume`` to the ``dflow`` group."""
    for command in (check, show, run, resume):
        main.add_command(command)
