"""``dflow report FLOW/RUN``: write a run's self-contained HTML report."""

from __future__ import annotations

import click

EPILOG = """\b
Examples:
  dflow report TrainFlow/1795739563832009
  dflow report TrainFlow/latest             the newest run (of any user)
  dflow report TrainFlow/1795739563832009 -o run.html --store s3://bucket/dflow
"""


@click.command("report", epilog=EPILOG)
@click.argument("pathspec", metavar="FLOW/RUN")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False),
    default=None,
    help="HTML file to write [default: FLOW-RUN.html in the current folder].",
)
@click.option("--store", default=None, help="Store URL [default: DFLOW_STORE or .dflow/].")
def report(pathspec: str, output: str | None, store: str | None) -> None:
    """Write one self-contained HTML report of a run (graph, timeline, artifacts, failures)."""
    from dflow.client import ClientContext
    from dflow.client.pathspecs import resolve_run
    from dflow.report import build_report, parse_pathspec

    flow, run_id = parse_pathspec(pathspec)
    if run_id == "latest":  # the same pathspecs as every other command
        run_id = resolve_run(pathspec, ClientContext(store, namespace=None)).id
    result = build_report(flow, run_id, store=store)
    path = result.save(output or f"{flow}-{run_id}.html")
    click.echo(f"report of {flow}/{run_id} written to {path}")


def register(main: click.Group) -> None:
    """Add ``report`` to the ``dflow`` group."""
    main.add_command(report)
