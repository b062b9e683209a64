"""Start and stop the local cluster of ``dflow cluster up`` / ``down``.

``start_cluster`` starts one ``dask scheduler`` and N ``dask worker`` processes
(``python -m distributed.cli.dask_scheduler`` / ``dask_worker`` of this interpreter),
detached, with their logs under the dflow home; it waits until the scheduler answers and
every worker has registered, then writes the record. Anything that goes wrong stops what
was started and raises :class:`~dflow.errors.ClusterError` with the log's last lines.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dflow.cluster.processes import (
    ProcessRef,
    exit_status,
    log_tail,
    port_is_free,
    spawn_detached,
    stop_processes,
)
from dflow.cluster.record import (
    ClusterRecord,
    active_cluster,
    connect,
    discard_record,
    load_record,
    record_path,
    save_record,
)
from dflow.cluster.tls import require_tls_support, write_cluster_certs
from dflow.config import dflow_home
from dflow.errors import ClusterError

DEFAULT_SCHEDULER_PORT = 8786
DEFAULT_DASHBOARD_PORT = 8787


@dataclass(frozen=True)
class ClusterOptions:
    """What ``dflow cluster up`` was asked for. ``None`` ports mean 8786/8787 if free."""

    workers: int = 2
    threads_per_worker: int | None = None
    memory_limit: str = "auto"
    resources: dict[str, float] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int | None = None
    dashboard_port: int | None = None
    tls: bool = False
    preload: tuple[str, ...] = ()
    timeout: float = 60.0

    def nthreads(self) -> int:
        """Threads per worker: as given, else the cores shared out among the workers."""
        if self.threads_per_worker:
            return self.threads_per_worker
        return max(1, (os.cpu_count() or 1) // max(1, self.workers))


def parse_resources(text: str | None) -> dict[str, float]:
    """Parse ``"GPU=1,MEMORY=4e9"`` into ``{"GPU": 1.0, "MEMORY": 4e9}``.

    Raises :class:`ClusterError` naming the bad item.
    """
    resources: dict[str, float] = {}
    for item in (text or "").replace(" ", ",").split(","):
        if not item:
            continue
        name, sep, value = item.partition("=")
        try:
            amount = float(value)
        except ValueError:
            amount = None
        if not sep or not name or amount is None or amount < 0:
            raise ClusterError(
                f"bad resource {item!r}: expected NAME=AMOUNT",
                hint="for example --resources GPU=1,MEMORY=4e9",
            )
        resources[name] = amount
    return resources


def resources_argument(resources: dict[str, float]) -> str:
    """The ``dask worker --resources`` value: ``"GPU=1 MEMORY=4000000000"``."""
    return " ".join(f"{k}={v:g}" if v != int(v) else f"{k}={int(v)}" for k, v in resources.items())


def _plain(options: dict) -> dict:
    """The options as they read back from JSON (tuples become lists)."""
    return json.loads(json.dumps(options))


def _pick_port(host: str, wanted: int | None, default: int) -> int:
    if wanted is not None:
        return wanted
    bind_host = "0.0.0.0" if host in ("", "0.0.0.0") else host
    return default if port_is_free(bind_host, default) else 0


def _scheduler_argv(opts: ClusterOptions, scheduler_file: Path, security: dict | None) -> list:
    port = _pick_port(opts.host, opts.port, DEFAULT_SCHEDULER_PORT)
    dash = _pick_port(opts.host, opts.dashboard_port, DEFAULT_DASHBOARD_PORT)
    argv = [
        sys.executable,
        "-m",
        "distributed.cli.dask_scheduler",
        "--host",
        opts.host,
        "--port",
        str(port),
        "--dashboard-address",
        f"{opts.host}:{dash}",
        "--scheduler-file",
        str(scheduler_file),
    ]
    if security:
        argv += _tls_argv(security, "scheduler")
    for module in dict.fromkeys(("dflow.dashboard", *opts.preload)):  # the /dflow page
        argv += ["--preload", module]
    return argv


def _tls_argv(security: dict, role: str) -> list[str]:
    """The TLS options of ``dask scheduler`` / ``dask worker`` for ``role``'s files."""
    return [
        "--protocol",
        "tls",
        "--tls-ca-file",
        security["ca_file"],
        "--tls-cert",
        security[f"{role}_cert"],
        "--tls-key",
        security[f"{role}_key"],
    ]


def _worker_argv(opts: ClusterOptions, address: str, index: int, security: dict | None) -> list:
    argv = [
        sys.executable,
        "-m",
        "distributed.cli.dask_worker",
        address,
        "--host",
        opts.host,
        "--nthreads",
        str(opts.nthreads()),
        "--memory-limit",
        str(opts.memory_limit),
        "--name",
        f"dflow-worker-{index}",
        "--dashboard-address",
        f"{opts.host}:0",
        "--death-timeout",
        "60",
    ]
    if opts.resources:
        argv += ["--resources", resources_argument(opts.resources)]
    if security:
        argv += _tls_argv(security, "worker")
    return argv


def _failure(what: str, logs: list[Path]) -> ClusterError:
    tails = "\n".join(f"--- {p} ---\n{log_tail(p)}" for p in logs if p.exists())
    return ClusterError(
        f"{what}\n{tails}".rstrip(), hint="see the logs above; nothing was left running"
    )


def _wait_for_scheduler(ref: ProcessRef, scheduler_file: Path, log: Path, deadline: float) -> dict:
    while time.monotonic() < deadline:
        if exit_status(ref) is not None:
            raise _failure("the dask scheduler exited during start-up", [log])
        if scheduler_file.exists():
            try:
                return json.loads(scheduler_file.read_text())
            except ValueError:
                pass  # being written; read again
        time.sleep(0.05)
    raise _failure("the dask scheduler did not start in time", [log])


def _wait_for_workers(
    record: ClusterRecord, refs: list[ProcessRef], logs: list[Path], n: int, deadline: float
) -> None:
    client = connect(record, timeout=max(1.0, deadline - time.monotonic()))
    try:
        while time.monotonic() < deadline:
            for ref, log in zip(refs, logs, strict=True):
                if exit_status(ref) is not None:
                    raise _failure(f"a process exited during start-up (pid {ref.pid})", [log])
            if len(client.scheduler_info(n_workers=-1)["workers"]) >= n:
                return
            time.sleep(0.1)
    finally:
        client.close()
    raise _failure(f"the {n} dask workers did not all register in time", logs)


def _take_lock(home: Path) -> Path:
    lock = home / "cluster.lock"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            try:
                owner = int(lock.read_text() or 0)
            except (ValueError, FileNotFoundError):
                owner = 0
            if owner and _pid_alive(owner):
                raise ClusterError(
                    f"another `dflow cluster up` (pid {owner}) is starting a cluster",
                    hint=f"wait for it, or delete {lock} if that process is gone",
                ) from None
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return lock
    raise ClusterError(f"cannot take the lock {lock}", hint=f"delete {lock} and try again")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def refuse_if_running(home: str | Path | None) -> None:
    """Raise :class:`ClusterError` when a recorded cluster's scheduler is still running."""
    record = active_cluster(home)
    if record is None:
        stale = load_record(home)
        if stale is None:
            return
        record = stale  # alive but not answering: still refuse
    raise ClusterError(
        f"a cluster is already up at {record.address} (scheduler pid {record.scheduler_pid})",
        hint="use it, or stop it first with `dflow cluster down`",
    )


def start_cluster(opts: ClusterOptions, home: str | Path | None = None) -> ClusterRecord:
    """Start a scheduler and ``opts.workers`` workers in the background and record them."""
    if opts.workers < 1:
        raise ClusterError(f"--workers must be at least 1 (got {opts.workers})")
    root = dflow_home(home)
    root.mkdir(parents=True, exist_ok=True)
    lock = _take_lock(root)
    try:
        refuse_if_running(home)
        return _start(opts, root, home)
    finally:
        lock.unlink(missing_ok=True)


def _start(opts: ClusterOptions, root: Path, home: str | Path | None) -> ClusterRecord:
    if opts.tls:
        require_tls_support()
    created = time.time()
    state = root / f"cluster-{int(created * 1000)}"
    state.mkdir(mode=0o700)
    security = write_cluster_certs(state / "tls", [opts.host]) if opts.tls else None
    scheduler_file, logs = state / "scheduler.json", [state / "scheduler.log"]
    refs: list[ProcessRef] = []
    deadline = time.monotonic() + opts.timeout
    try:
        refs.append(spawn_detached(_scheduler_argv(opts, scheduler_file, security), logs[0]))
        info = _wait_for_scheduler(refs[0], scheduler_file, logs[0], deadline)
        for i in range(opts.workers):
            logs.append(state / f"worker-{i}.log")
            refs.append(spawn_detached(_worker_argv(opts, info["address"], i, security), logs[-1]))
        dash = info.get("services", {}).get("dashboard")
        host = "127.0.0.1" if opts.host in ("", "0.0.0.0") else opts.host
        record = ClusterRecord(
            address=info["address"],
            dashboard_link=f"http://{host}:{dash}/status" if dash else None,
            scheduler_pid=refs[0].pid,
            worker_pids=tuple(r.pid for r in refs[1:]),
            security=security,
            created_at=created,
            processes=tuple((r.pid, r.create_time) for r in refs),
            log_files=tuple(str(p) for p in logs),
            options=_plain(asdict(opts)),
            state_dir=str(state),
        )
        _wait_for_workers(record, refs, logs, opts.workers, deadline)
        save_record(record, home)
        return record
    except BaseException:
        stop_processes(refs, grace=5.0)
        shutil.rmtree(state / "tls", ignore_errors=True)  # keep the logs, not the keys
        if not any(p.exists() for p in logs):
            shutil.rmtree(state, ignore_errors=True)
        raise


def stop_cluster(home: str | Path | None = None) -> tuple[ClusterRecord | None, list[int]]:
    """Stop the recorded cluster's processes and remove the record.

    Returns the record (None when no cluster was recorded) and the pids that were stopped.
    Only processes that are still the ones ``up`` started (same pid and start time) are
    signalled.
    """
    record = load_record(home)
    if record is None:
        return None, []
    stopped = discard_record(record, home)
    record_path(home).unlink(missing_ok=True)
    return record, stopped


def start_ssh_cluster(
    opts: ClusterOptions, hosts: list[str], home: str | Path | None = None
) -> ClusterRecord:
    """Start a cluster on ``hosts`` over SSH through a local keeper process; record it.

    ``opts.workers`` workers run on each worker host. TLS and preload are not supported
    here (configure them in dask's config on the hosts).
    """
    from dflow.cluster import ssh

    ssh.require_asyncssh()
    if opts.tls or opts.preload:
        raise ClusterError(
            "--tls and --preload cannot be combined with --ssh",
            hint="set them in the dask configuration of the SSH hosts",
        )
    root = dflow_home(home)
    root.mkdir(parents=True, exist_ok=True)
    lock = _take_lock(root)
    try:
        refuse_if_running(home)
        return _start_ssh(opts, hosts, root, home)
    finally:
        lock.unlink(missing_ok=True)


def _start_ssh(
    opts: ClusterOptions, hosts: list[str], root: Path, home: str | Path | None
) -> ClusterRecord:
    from dflow.cluster import ssh

    created = time.time()
    state = root / f"cluster-{int(created * 1000)}"
    state.mkdir(mode=0o700)
    address_file, log = state / "address.json", state / "ssh-keeper.log"
    spec = ssh.write_spec(
        state / "ssh-spec.json",
        hosts=hosts,
        workers_per_host=opts.workers,
        nthreads=opts.nthreads(),
        memory_limit=opts.memory_limit,
        resources=opts.resources,
        port=opts.port or DEFAULT_SCHEDULER_PORT,
        dashboard_port=opts.dashboard_port or DEFAULT_DASHBOARD_PORT,
        address_file=address_file,
    )
    deadline = time.monotonic() + opts.timeout
    ref = spawn_detached(ssh.keeper_argv(spec), log)
    try:
        info = _wait_for_scheduler(ref, address_file, log, deadline)
        record = ClusterRecord(
            address=info["address"],
            dashboard_link=info.get("dashboard_link"),
            scheduler_pid=ref.pid,
            worker_pids=(),
            security=None,
            created_at=created,
            processes=((ref.pid, ref.create_time),),
            log_files=(str(log),),
            options=_plain({**asdict(opts), "ssh": hosts}),
            kind="ssh",
            state_dir=str(state),
        )
        n = opts.workers * max(1, len(hosts) - 1)
        _wait_for_workers(record, [ref], [log], n, deadline)
        save_record(record, home)
        return record
    except BaseException:
        stop_processes([ref], grace=10.0)
        raise
