"""The record of the cluster that ``dflow cluster up`` started, and how to find it again.

The record is ``dflow_home()/cluster.json`` (``DFLOW_HOME`` or ``~/.dflow``). It names the
scheduler address, the processes started (pid and start time, so a reused pid is never
mistaken for them) and, for a TLS cluster, the certificate files. The engine calls
:func:`active_cluster` to find a live cluster and :func:`connect` to get a client for it::

    record = active_cluster()
    if record is not None:
        client = connect(record)
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dflow.cluster.processes import ProcessRef, stop_processes
from dflow.config import dflow_home
from dflow.errors import ClusterError

if TYPE_CHECKING:  # pragma: no cover
    import distributed

RECORD_NAME = "cluster.json"
RECORD_FORMAT = 1


@dataclass(frozen=True)
class ClusterRecord:
    """A cluster started by ``dflow cluster up``, as recorded in ``cluster.json``."""

    address: str
    dashboard_link: str | None
    scheduler_pid: int
    worker_pids: tuple[int, ...]
    security: dict | None
    created_at: float
    #: ``(pid, create_time)`` of every process started, scheduler first.
    processes: tuple[tuple[int, float], ...] = ()
    #: log file of each process, in the order of ``processes``.
    log_files: tuple[str, ...] = ()
    #: the options ``up`` was called with (workers, threads, resources, ...).
    options: dict = field(default_factory=dict)
    #: ``"local"`` (processes on this machine) or ``"ssh"`` (a local keeper process).
    kind: str = "local"
    #: folder of this cluster's own files (TLS certificates), removed by ``down``.
    state_dir: str | None = None

    def to_security(self) -> distributed.Security | None:
        """A ``distributed.Security`` with this cluster's client certificate, or None."""
        if not self.security:
            return None
        from distributed import Security

        return Security(
            tls_ca_file=self.security["ca_file"],
            tls_client_cert=self.security["client_cert"],
            tls_client_key=self.security["client_key"],
            require_encryption=True,
        )

    def process_refs(self) -> list[ProcessRef]:
        """The started processes, scheduler first."""
        return [ProcessRef(pid, created) for pid, created in self.processes]

    def scheduler_ref(self) -> ProcessRef:
        """The scheduler process (for an SSH cluster, the local keeper process)."""
        created = dict(self.processes).get(self.scheduler_pid, 0.0)
        return ProcessRef(self.scheduler_pid, created)

    def to_json(self) -> dict:
        """The record as written to ``cluster.json``."""
        data = asdict(self)
        data["format"] = RECORD_FORMAT
        return data

    @classmethod
    def from_json(cls, data: dict) -> ClusterRecord:
        """Read a record written by :meth:`to_json`."""
        return cls(
            address=data["address"],
            dashboard_link=data.get("dashboard_link"),
            scheduler_pid=int(data["scheduler_pid"]),
            worker_pids=tuple(int(p) for p in data.get("worker_pids", ())),
            security=data.get("security"),
            created_at=float(data["created_at"]),
            processes=tuple((int(p), float(t)) for p, t in data.get("processes", ())),
            log_files=tuple(data.get("log_files", ())),
            options=dict(data.get("options", {})),
            kind=data.get("kind", "local"),
            state_dir=data.get("state_dir"),
        )


def record_path(home: str | Path | None = None) -> Path:
    """Where the cluster record lives: ``dflow_home(home) / "cluster.json"``."""
    return dflow_home(home) / RECORD_NAME


def load_record(home: str | Path | None = None) -> ClusterRecord | None:
    """The recorded cluster as written, or None when there is no record.

    Raises :class:`ClusterError` when the file exists but cannot be read.
    """
    path = record_path(home)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ClusterError(f"cannot read the cluster record {path}: {exc}") from exc
    try:
        return ClusterRecord.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise ClusterError(
            f"the cluster record {path} is damaged ({exc})",
            hint=f"stop the cluster's processes by hand and delete {path}",
        ) from exc


def save_record(record: ClusterRecord, home: str | Path | None = None) -> Path:
    """Write the record atomically (temp file, then rename) with mode 0600."""
    path = record_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".cluster-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(record.to_json(), f, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def discard_record(record: ClusterRecord, home: str | Path | None = None) -> list[int]:
    """Stop the record's leftover processes, delete its files and the record itself.

    Returns the pids that were still running and have been stopped.
    """
    stopped = stop_processes(record.process_refs())
    if record.state_dir:
        shutil.rmtree(record.state_dir, ignore_errors=True)
    path = record_path(home)
    current = load_record(home) if path.exists() else None
    if current is not None and current.created_at == record.created_at:
        path.unlink(missing_ok=True)
    return stopped


def scheduler_answers(record: ClusterRecord, timeout: float = 3.0) -> bool:
    """Whether the scheduler answers an ``identity`` request within ``timeout`` seconds."""
    with ThreadPoolExecutor(1) as pool:  # own event loop, even inside a running one
        future = pool.submit(asyncio.run, _identity(record, timeout))
        try:
            info = future.result(timeout=timeout + 5)
        except Exception:  # any connection failure means "does not answer"
            return False
    return isinstance(info, dict) and info.get("type") == "Scheduler"


async def _identity(record: ClusterRecord, timeout: float) -> Any:
    from distributed.comm import connect as comm_connect

    security = record.to_security()
    kwargs = security.get_connection_args("client") if security else {}
    comm = await comm_connect(record.address, timeout=timeout, **kwargs)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await asyncio.wait_for(comm.read(), timeout)
    finally:
        await comm.close()


def active_cluster(home: str | Path | None = None, *, timeout: float = 3.0) -> ClusterRecord | None:
    """The recorded cluster if its scheduler process is alive and answers, else None.

    A stale record (the scheduler process is gone) is cleaned: leftover processes it
    started are stopped and the record is removed. A scheduler that is alive but does not
    answer within ``timeout`` gives None and keeps the record (``dflow cluster down``
    stops it).
    """
    record = load_record(home)
    if record is None:
        return None
    if not record.scheduler_ref().is_running():
        discard_record(record, home)
        return None
    if not scheduler_answers(record, timeout):
        return None
    return record


def connect(record: ClusterRecord, *, timeout: float = 10.0) -> distributed.Client:
    """A ``distributed.Client`` for the recorded cluster, with its TLS security applied.

    Raises :class:`ClusterError` when the scheduler cannot be reached in ``timeout``.
    """
    from distributed import Client

    started = time.monotonic()
    try:
        return Client(record.address, security=record.to_security(), timeout=timeout)
    except (OSError, TimeoutError, TypeError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    # The failed Client is still referenced by the exception's traceback; collect it now,
    # since a Client finalized later, while another one starts, can hang distributed.
    gc.collect()
    waited = time.monotonic() - started
    raise ClusterError(
        f"cannot reach the cluster scheduler at {record.address} "
        f"(gave up after {waited:.1f} s: {reason})",
        hint="see `dflow cluster status`; `dflow cluster down` clears a dead cluster",
    )
