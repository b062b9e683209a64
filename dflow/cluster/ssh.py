"""``dflow cluster up --ssh host1,host2``: a cluster on other machines over SSH.

This wraps ``distributed.deploy.ssh.SSHCluster`` and keeps its convention: the first host
runs the scheduler, the others run ``--workers`` workers each; a single host runs both.
An SSHCluster lives as long as the Python object that holds its SSH
connections, so ``up`` starts a small detached *keeper* process on this machine
(``python -m dflow.cluster.ssh``) that holds it, writes the scheduler's address to a file
and closes the cluster on SIGTERM (which is what ``dflow cluster down`` sends). asyncssh is
imported only here, with an install hint when it is missing.

Example::

    dflow cluster up --ssh node1,node2 --workers 2
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import signal
import sys
from pathlib import Path

from dflow.errors import ClusterError


def parse_ssh_hosts(text: str) -> list[str]:
    """Split ``"host1,host2"`` into hosts; the first runs the scheduler.

    Raises :class:`ClusterError` for an
    empty list or an empty name.
    """
    hosts = [h.strip() for h in text.split(",")]
    if not text.strip() or any(not h for h in hosts):
        raise ClusterError(
            f"bad --ssh host list {text!r}: expected comma-separated host names",
            hint="for example --ssh node1,node2 (node1 also runs the scheduler)",
        )
    return hosts


def sshcluster_hosts(hosts: list[str]) -> list[str]:
    """The ``hosts`` list for SSHCluster: scheduler first, then the worker hosts.

    One host runs the scheduler and the workers: ``["a"]`` becomes ``["a", "a"]``.
    """
    return [hosts[0], hosts[0]] if len(hosts) == 1 else list(hosts)


def require_asyncssh() -> None:
    """Raise :class:`ClusterError` with an install hint when asyncssh is not installed."""
    if importlib.util.find_spec("asyncssh") is None:
        raise ClusterError(
            "`dflow cluster up --ssh` needs the asyncssh package, which is not installed",
            hint='pip install asyncssh  (or pip install "distributed[ssh]")',
        )


def keeper_argv(spec_file: Path) -> list[str]:
    """The command line of the keeper process for a spec written by :func:`write_spec`."""
    return [sys.executable, "-m", "dflow.cluster.ssh", str(spec_file)]


def write_spec(
    path: Path,
    *,
    hosts: list[str],
    workers_per_host: int,
    nthreads: int,
    memory_limit: str,
    resources: dict,
    port: int,
    dashboard_port: int,
    address_file: Path,
) -> Path:
    """Write what the keeper needs to build the SSHCluster (a JSON file)."""
    spec = {
        "hosts": sshcluster_hosts(hosts),
        "worker_options": {
            "n_workers": workers_per_host,
            "nthreads": nthreads,
            "memory_limit": memory_limit,
            "resources": resources or None,
        },
        "scheduler_options": {"port": port, "dashboard_address": f":{dashboard_port}"},
        "address_file": str(address_file),
    }
    path.write_text(json.dumps(spec, indent=2))
    return path


async def _keep(spec: dict) -> None:
    from distributed.deploy.ssh import SSHCluster

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with SSHCluster(
        hosts=spec["hosts"],
        worker_options={k: v for k, v in spec["worker_options"].items() if v is not None},
        scheduler_options=spec["scheduler_options"],
        asynchronous=True,
    ) as cluster:
        info = {"address": cluster.scheduler_address, "dashboard_link": cluster.dashboard_link}
        Path(spec["address_file"]).write_text(json.dumps(info))
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Run the keeper: ``python -m dflow.cluster.ssh SPEC.json``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m dflow.cluster.ssh SPEC.json", file=sys.stderr)
        return 2
    require_asyncssh()
    asyncio.run(_keep(json.loads(Path(args[0]).read_text())))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
