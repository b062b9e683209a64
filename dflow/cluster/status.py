"""What ``dflow cluster status`` reports: the scheduler, its dashboard and each worker."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dflow.cluster.record import ClusterRecord, active_cluster, connect, load_record
from dflow.errors import ClusterError


@dataclass(frozen=True)
class WorkerStatus:
    """One worker as the scheduler sees it."""

    address: str
    name: str
    nthreads: int
    memory_limit: int
    resources: dict
    processing: int


@dataclass(frozen=True)
class ClusterStatus:
    """The live state of the recorded cluster."""

    address: str
    dashboard_link: str | None
    tls: bool
    scheduler_pid: int
    workers: tuple[WorkerStatus, ...]

    def to_json(self) -> dict:
        """A plain dict for ``dflow cluster status --json``."""
        return asdict(self)


def cluster_status(home=None, *, timeout: float = 5.0) -> ClusterStatus:
    """Ask the recorded cluster's scheduler for its workers.

    Raises :class:`ClusterError` when no cluster is up or it no longer answers.
    """
    record = active_cluster(home, timeout=timeout)
    if record is None:
        if load_record(home) is not None:
            raise ClusterError(
                "the recorded cluster's scheduler is running but does not answer",
                hint="stop it with `dflow cluster down` and start a new one",
            )
        raise ClusterError("no dflow cluster is up", hint="start one with `dflow cluster up`")
    return _query(record, timeout)


def _query(record: ClusterRecord, timeout: float) -> ClusterStatus:
    client = connect(record, timeout=timeout)
    try:
        info = client.scheduler_info(n_workers=-1)
        processing = client.processing()
    finally:
        client.close()
    workers = tuple(
        WorkerStatus(
            address=addr,
            name=str(w.get("name", addr)),
            nthreads=int(w.get("nthreads", 0)),
            memory_limit=int(w.get("memory_limit") or 0),
            resources=dict(w.get("resources") or {}),
            processing=len(processing.get(addr, ())),
        )
        for addr, w in sorted(info["workers"].items(), key=lambda kv: str(kv[1].get("name")))
    )
    return ClusterStatus(
        address=record.address,
        dashboard_link=record.dashboard_link,
        tls=record.security is not None,
        scheduler_pid=record.scheduler_pid,
        workers=workers,
    )


def format_status(status: ClusterStatus) -> str:
    """The human-readable status: address, dashboard, then one line per worker."""
    lines = [
        f"scheduler: {status.address}" + ("  (TLS)" if status.tls else ""),
        f"dashboard: {status.dashboard_link or '-'}",
        f"workers:   {len(status.workers)}",
    ]
    for w in status.workers:
        res = ", ".join(f"{k}={v:g}" for k, v in sorted(w.resources.items())) or "-"
        lines.append(
            f"  {w.name:<16} {w.address:<26} threads={w.nthreads} "
            f"memory={_human_bytes(w.memory_limit)} resources={res} processing={w.processing}"
        )
    return "\n".join(lines)


def _human_bytes(n: int) -> str:
    from dask.utils import format_bytes

    return format_bytes(n) if n else "unlimited"
