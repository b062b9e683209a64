"""``dflow cluster up|status|down``: a local Dask cluster that later runs find on their own.

A thin shell over :mod:`dflow.cluster`: parse the flags, call the library, print.
"""

from __future__ import annotations

import json

import click

from dflow.cluster.launch import ClusterOptions, parse_resources, start_cluster, stop_cluster
from dflow.cluster.status import cluster_status, format_status

UP_EPILOG = """\b
Examples:
  dflow cluster up --workers 2
  dflow cluster up --workers 4 --threads-per-worker 2 --resources GPU=1,MEMORY=4e9
  dflow cluster up --tls --port 0          TLS with certificates made for this cluster
  dflow cluster up --ssh node1,node2       scheduler on node1, workers on node2
"""


@click.group("cluster")
def cluster() -> None:
    """Start, inspect and stop the Dask cluster that dflow runs use by default."""


@cluster.command("up", epilog=UP_EPILOG)
@click.option(
    "--workers",
    "-n",
    type=int,
    default=2,
    show_default=True,
    help="Worker processes (per host with --ssh).",
)
@click.option(
    "--threads-per-worker",
    type=int,
    default=None,
    help="Threads per worker [default: cores / workers].",
)
@click.option(
    "--memory-limit",
    default="auto",
    show_default=True,
    help="Memory per worker, e.g. 4GB, 0.5 (of RAM) or auto.",
)
@click.option("--resources", default=None, help="Worker resources, e.g. GPU=1,MEMORY=4e9.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface the scheduler and workers bind to.",
)
@click.option("--port", type=int, default=None, help="Scheduler port [default: 8786 if free].")
@click.option(
    "--dashboard-port", type=int, default=None, help="Dashboard port [default: 8787 if free]."
)
@click.option("--tls", is_flag=True, help="Encrypt with certificates made for this cluster.")
@click.option("--preload", multiple=True, help="Module the scheduler preloads (repeatable).")
@click.option(
    "--ssh",
    "ssh_hosts",
    default=None,
    help="Comma-separated hosts to start the cluster on over SSH (needs asyncssh).",
)
@click.option(
    "--timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds to wait for the scheduler and every worker.",
)
def up(
    workers: int,
    threads_per_worker: int | None,
    memory_limit: str,
    resources: str | None,
    host: str,
    port: int | None,
    dashboard_port: int | None,
    tls: bool,
    preload: tuple[str, ...],
    ssh_hosts: str | None,
    timeout: float,
) -> None:
    """Start a Dask scheduler and workers in the background and record them."""
    opts = ClusterOptions(
        workers=workers,
        threads_per_worker=threads_per_worker,
        memory_limit=memory_limit,
        resources=parse_resources(resources),
        host=host,
        port=port,
        dashboard_port=dashboard_port,
        tls=tls,
        preload=tuple(preload),
        timeout=timeout,
    )
    if ssh_hosts is not None:
        from dflow.cluster.launch import start_ssh_cluster
        from dflow.cluster.ssh import parse_ssh_hosts

        record = start_ssh_cluster(opts, parse_ssh_hosts(ssh_hosts))
    else:
        record = start_cluster(opts)
    click.echo(f"scheduler: {record.address}")
    click.echo(f"dashboard: {record.dashboard_link or '-'}")
    click.echo(f"workers:   {workers}" + (" per host" if ssh_hosts else ""))
    click.echo("stop it with: dflow cluster down")


@cluster.command(
    "status",
    epilog="\b\nExamples:\n  dflow cluster status\n  dflow cluster status --json | jq .workers",
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Show the recorded cluster's address, dashboard and workers (exit 1 if none is up)."""
    result = cluster_status()
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(format_status(result))


@cluster.command("down", epilog="\b\nExample:\n  dflow cluster down")
def down() -> None:
    """Stop the processes `dflow cluster up` started and forget the cluster."""
    record, stopped = stop_cluster()
    if record is None:
        click.echo("no dflow cluster is up")
        return
    click.echo(f"stopped the cluster at {record.address} ({len(stopped)} processes)")


def register(main: click.Group) -> None:
    """Add the ``cluster`` group to the ``dflow`` command."""
    main.add_command(cluster)
