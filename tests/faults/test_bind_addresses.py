"""Every socket dflow opens by default listens on 127.0.0.1 only (read from the live
processes' sockets with psutil)."""

from __future__ import annotations

import psutil
import pytest

from dflow.engine.targets import open_target

pytestmark = pytest.mark.cluster


def _listening(pids: set[int]) -> list[tuple[int, str, int]]:
    found = []
    for pid in pids:
        for conn in psutil.Process(pid).net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                found.append((pid, conn.laddr.ip, conn.laddr.port))
    return found


def test_embedded_local_cluster_listens_on_loopback_only(monkeypatch):
    monkeypatch.setenv("DFLOW_HOME", "/nonexistent-dflow-home")  # no recorded cluster
    monkeypatch.delenv("DFLOW_SCHEDULER", raising=False)
    me = psutil.Process()
    before = {c.laddr.port for c in me.net_connections(kind="inet") if c.status == "LISTEN"}
    with open_target(None, max_workers=1) as target:
        target.executor.wait_for_workers()  # the run's own cluster: workers join meanwhile
        pids = {me.pid} | {p.pid for p in me.children(recursive=True)}
        sockets = [s for s in _listening(pids) if not (s[0] == me.pid and s[2] in before)]
        assert target.source == "local"
        assert len(pids) >= 3  # this process, a nanny, its worker
        ports = {port for _, _, port in sockets}
        assert target.dashboard_link and any(str(p) in target.dashboard_link for p in ports)
        assert len(sockets) >= 4  # scheduler, dashboard, nanny, worker
        wide = [s for s in sockets if s[1] != "127.0.0.1"]
        assert not wide, f"sockets not bound to 127.0.0.1: {wide}"


def test_cluster_up_listens_on_loopback_only(tmp_path):
    from dflow.cluster.launch import ClusterOptions, start_cluster, stop_cluster

    home = tmp_path / "home"
    record = start_cluster(ClusterOptions(workers=1), home)
    try:
        pids = set()
        for pid in (record.scheduler_pid, *record.worker_pids):
            pids.add(pid)
            pids.update(c.pid for c in psutil.Process(pid).children(recursive=True))
        sockets = _listening(pids)
        assert len(sockets) >= 4  # scheduler, its dashboard, a nanny, its worker
        wide = [s for s in sockets if s[1] != "127.0.0.1"]
        assert not wide, f"sockets not bound to 127.0.0.1: {wide}"
    finally:
        stop_cluster(home)
