"""Detached background processes that ``dflow cluster`` starts, watches and stops.

A process is identified by its pid *and* its start time (``psutil`` create_time), so a
pid that the system reused for another program is never signalled. Processes are started
with :func:`os.posix_spawn` in a new session (they outlive the command that started
them), their output appended to a log file.
"""

from __future__ import annotations

import os
import signal
import socket
from dataclasses import dataclass
from pathlib import Path

import psutil

from dflow.errors import ClusterError

#: Seconds a process gets to exit after SIGTERM before it is killed.
TERMINATE_GRACE = 10.0


@dataclass(frozen=True)
class ProcessRef:
    """A process dflow started: its pid and the start time that proves it is the same one."""

    pid: int
    create_time: float

    def process(self) -> psutil.Process | None:
        """The live process, or None when it is gone (or the pid now belongs to another)."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > 0.01:
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                _reap(self.pid)
                return None
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return None
        return proc

    def is_running(self) -> bool:
        """Whether the process is still alive (a zombie counts as gone)."""
        return self.process() is not None


def _reap(pid: int) -> None:
    """Collect the exit status of a child of this process, if it is one."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def spawn_detached(argv: list[str], log_file: Path, *, cwd: str | None = None) -> ProcessRef:
    """Start ``argv`` in a new session with stdin from /dev/null and output to ``log_file``.

    The process is not tied to the caller: it keeps running when the caller exits.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_file), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    old_cwd = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        pid = os.posix_spawn(argv[0], argv, dict(os.environ), file_actions=actions, setsid=True)
    except OSError as exc:
        raise ClusterError(
            f"could not start {' '.join(argv[:3])}: {exc}",
            hint="check that this Python has dask and distributed installed",
        ) from exc
    finally:
        os.chdir(old_cwd)
    try:
        created = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:  # exited at once; the caller's wait reports the log
        created = 0.0
    return ProcessRef(pid, created)


def stop_processes(refs: list[ProcessRef], *, grace: float = TERMINATE_GRACE) -> list[int]:
    """Stop the given processes (and their children) that are still the ones dflow started.

    Sends SIGTERM, waits up to ``grace`` seconds, then SIGKILLs what is left. Returns the
    pids that were running and have been stopped. Raises :class:`ClusterError` if a
    process survives SIGKILL (it then names the pid).
    """
    procs: list[psutil.Process] = []
    for ref in refs:
        proc = ref.process()
        if proc is None:
            continue
        try:
            children = proc.children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        procs.append(proc)
        procs.extend(children)
    stopped = [p.pid for p in procs]
    for proc in procs:
        _signal(proc, signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        _signal(proc, signal.SIGKILL)
    _, alive = psutil.wait_procs(alive, timeout=5.0)
    if alive:
        pids = ", ".join(str(p.pid) for p in alive)
        raise ClusterError(
            f"processes {pids} did not stop after SIGKILL",
            hint="check them with `ps` and stop them by hand",
        )
    return stopped


def _signal(proc: psutil.Process, sig: signal.Signals) -> None:
    try:
        proc.send_signal(sig)
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        pass


def exit_status(ref: ProcessRef) -> int | None:
    """The exit code of a child process that has ended, or None while it runs.

    Only meaningful for children of this process; other processes report None while alive
    and -1 once gone.
    """
    try:
        pid, status = os.waitpid(ref.pid, os.WNOHANG)
    except ChildProcessError:
        return None if ref.is_running() else -1
    if pid == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def port_is_free(host: str, port: int) -> bool:
    """Whether a TCP server could bind ``host:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def log_tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file ('' if it does not exist)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
