"""Real ``dask scheduler`` / ``dask worker`` processes through ``dflow cluster up/status/down``."""

from __future__ import annotations

import json
import os
import signal

import psutil
import pytest

from dflow.cluster import active_cluster, connect, load_record, record_path
from dflow.cluster.launch import ClusterOptions, start_cluster
from dflow.errors import ClusterError

pytestmark = pytest.mark.timeout(120)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _all_pids(record) -> list[int]:
    pids = []
    for pid in (record.scheduler_pid, *record.worker_pids):
        pids.append(pid)
        try:
            pids.extend(c.pid for c in psutil.Process(pid).children(recursive=True))
        except psutil.NoSuchProcess:
            pass
    return pids


def test_up_status_connect_down(home, dflow_cli, tmp_path):
    marker = tmp_path / "preloaded"
    preload = tmp_path / "dflow_test_preload.py"
    preload.write_text(
        f"def dask_setup(scheduler):\n    open({str(marker)!r}, 'w').write(scheduler.address)\n"
    )
    result = dflow_cli(
        "cluster",
        "up",
        "--workers",
        "2",
        "--threads-per-worker",
        "1",
        "--resources",
        "GPU=1,MEMORY=4e9",
        "--port",
        "0",
        "--dashboard-port",
        "0",
        "--memory-limit",
        "1GB",
        "--preload",
        str(preload),
    )
    assert result.exit_code == 0, result.output
    record = load_record()
    assert record is not None and record_path() == home / "cluster.json"
    assert f"scheduler: {record.address}" in result.output
    assert record.address.startswith("tcp://127.0.0.1:")
    assert record.dashboard_link.startswith("http://127.0.0.1:")
    assert marker.read_text() == record.address  # --preload reached the scheduler
    assert oct(record_path().stat().st_mode & 0o777) == "0o600"

    status = dflow_cli("cluster", "status", "--json")
    assert status.exit_code == 0, status.output
    info = json.loads(status.stdout)
    assert info["address"] == record.address and info["tls"] is False
    assert len(info["workers"]) == 2
    for worker in info["workers"]:
        assert worker["resources"] == {"GPU": 1, "MEMORY": 4e9}
        assert worker["nthreads"] == 1
        assert worker["memory_limit"] == 10**9
        assert worker["address"].startswith("tcp://127.0.0.1:")  # workers bind to 127.0.0.1
    text = dflow_cli("cluster", "status")
    assert "GPU=1" in text.stdout and record.dashboard_link in text.stdout

    assert active_cluster() == record
    client = connect(record)
    try:
        where = client.submit(os.getpid, resources={"GPU": 1}, pure=False).result(timeout=30)
    finally:
        client.close()
    assert where in _all_pids(record)  # it ran in one of our worker processes

    again = dflow_cli("cluster", "up", "--port", "0", "--dashboard-port", "0")
    assert again.exit_code == 1
    assert "already up" in again.stderr and "Traceback" not in again.output

    pids = _all_pids(record)
    down = dflow_cli("cluster", "down")
    assert down.exit_code == 0, down.output
    assert f"stopped the cluster at {record.address}" in down.stdout
    assert all(_gone(pid) for pid in pids), [p for p in pids if not _gone(p)]
    assert not record_path().exists()
    assert not os.path.exists(record.state_dir)


def test_down_and_status_when_none_is_up(home, dflow_cli):
    down = dflow_cli("cluster", "down")
    assert down.exit_code == 0
    assert "no dflow cluster is up" in down.stdout
    status = dflow_cli("cluster", "status")
    assert status.exit_code == 1
    assert status.stderr.startswith("error: no dflow cluster is up")
    assert "Traceback" not in status.output
    assert active_cluster() is None


def test_stale_record_is_cleaned(home):
    record = start_cluster(ClusterOptions(workers=1, port=0, dashboard_port=0))
    worker_pids = _all_pids(record)[1:]
    os.kill(record.scheduler_pid, signal.SIGKILL)
    psutil.Process(record.scheduler_pid).wait(timeout=10)

    assert active_cluster() is None
    assert not record_path().exists()
    assert all(_gone(pid) for pid in worker_pids)


def test_failed_start_reports_the_log_and_leaves_nothing(home):
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(ClusterError) as info:
        start_cluster(
            ClusterOptions(
                workers=1,
                port=0,
                dashboard_port=0,
                timeout=30,
                tls=True,
                preload=("dflow_no_such_module_xyz",),
            )
        )
    message = str(info.value)
    assert "scheduler exited during start-up" in message
    assert "dflow_no_such_module_xyz" in message  # the log tail shows the cause
    assert load_record() is None
    assert not list(home.glob("cluster-*/tls"))  # no keys left behind
    after = {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if p.status() != psutil.STATUS_ZOMBIE
    }
    assert after <= before


def test_bad_worker_count_is_refused(home):
    with pytest.raises(ClusterError, match="at least 1"):
        start_cluster(ClusterOptions(workers=0))


def test_cluster_outlives_the_up_command(home):
    """`dflow cluster up` in its own process returns; the cluster keeps running."""
    import subprocess
    import sys

    env = {**os.environ, "DFLOW_HOME": str(home)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dflow.cli.main",
            "cluster",
            "up",
            "--workers",
            "1",
            "--port",
            "0",
            "--dashboard-port",
            "0",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    record = active_cluster()
    assert record is not None and f"scheduler: {record.address}" in done.stdout
    assert psutil.Process(record.scheduler_pid).ppid() != os.getpid()  # not our child
    down = subprocess.run(
        [sys.executable, "-m", "dflow.cli.main", "cluster", "down"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 0, down.stderr
    assert not psutil.pid_exists(record.scheduler_pid)
    assert load_record() is None
