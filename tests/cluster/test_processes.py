"""Starting, recognising and stopping detached processes."""

from __future__ import annotations

import os
import sys
import time

import psutil
import pytest

from dflow.cluster.launch import _take_lock
from dflow.cluster.processes import (
    ProcessRef,
    log_tail,
    port_is_free,
    spawn_detached,
    stop_processes,
)
from dflow.errors import ClusterError

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]


def test_spawned_process_is_detached_and_stopped(home):
    ref = spawn_detached(SLEEPER, home / "sleep.log")
    proc = psutil.Process(ref.pid)
    deadline = time.monotonic() + 20
    while "up" not in log_tail(home / "sleep.log") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log_tail(home / "sleep.log") == "up"  # its output goes to the log
    assert os.getsid(ref.pid) == ref.pid != os.getsid(0)  # its own session
    assert ref.is_running()
    assert stop_processes([ref], grace=5) == [ref.pid]
    assert not ref.is_running()
    assert not psutil.pid_exists(ref.pid) or proc.status() == psutil.STATUS_ZOMBIE


def test_a_reused_pid_is_not_signalled(home):
    ref = spawn_detached(SLEEPER, home / "sleep.log")
    impostor = ProcessRef(ref.pid, ref.create_time + 1000.0)  # same pid, other start time
    assert not impostor.is_running()
    assert stop_processes([impostor]) == []
    assert ref.is_running()
    stop_processes([ref], grace=5)


def test_spawn_failure_is_a_cluster_error(home):
    with pytest.raises(ClusterError, match="could not start"):
        spawn_detached(["/nonexistent/python", "-m", "x"], home / "x.log")


def test_port_is_free_and_log_tail(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert not port_is_free("127.0.0.1", sock.getsockname()[1])
    assert log_tail(tmp_path / "missing.log") == ""
    (tmp_path / "a.log").write_text("\n".join(str(i) for i in range(50)))
    assert log_tail(tmp_path / "a.log", 3) == "47\n48\n49"


def test_lock_refuses_a_second_starter_and_takes_over_a_dead_one(home):
    home.mkdir(parents=True)
    (home / "cluster.lock").write_text(str(os.getppid()))  # a live process holds it
    with pytest.raises(ClusterError, match="another `dflow cluster up`"):
        _take_lock(home)
    ref = spawn_detached([sys.executable, "-c", "pass"], home / "x.log")
    psutil.Process(ref.pid).wait(timeout=10)
    (home / "cluster.lock").write_text(str(ref.pid))  # its holder is gone
    lock = _take_lock(home)
    assert lock.read_text() == str(os.getpid())
