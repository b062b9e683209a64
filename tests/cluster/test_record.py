"""The cluster record: where it lives, how it round-trips, and damaged files."""

from __future__ import annotations

import stat
import sys
import time

import pytest
from distributed import Security

from dflow.cluster import ClusterRecord, active_cluster, load_record, record_path
from dflow.cluster.processes import spawn_detached
from dflow.cluster.record import save_record
from dflow.errors import ClusterError


def _record(**changes) -> ClusterRecord:
    values = dict(
        address="tcp://127.0.0.1:8786",
        dashboard_link="http://127.0.0.1:8787/status",
        scheduler_pid=10,
        worker_pids=(11, 12),
        security=None,
        created_at=1.5,
        processes=((10, 100.0), (11, 101.0), (12, 101.5)),
        log_files=("a.log",),
        options={"workers": 2, "preload": []},
        state_dir=None,
    )
    values.update(changes)
    return ClusterRecord(**values)


def test_record_path_follows_dflow_home(home, tmp_path):
    assert record_path() == home / "cluster.json"
    assert record_path(tmp_path / "other") == tmp_path / "other" / "cluster.json"


def test_round_trip_and_private_mode(home):
    record = _record()
    path = save_record(record)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_record() == record
    assert load_record(home / "elsewhere") is None


def test_damaged_record_is_a_cluster_error(home):
    home.mkdir(parents=True)
    record_path().write_text("{not json")
    with pytest.raises(ClusterError, match="damaged"):
        load_record()


def test_to_security():
    assert _record().to_security() is None
    tls = {"ca_file": "/c/ca.pem", "client_cert": "/c/client.crt", "client_key": "/c/client.key"}
    security = _record(security=tls).to_security()
    assert isinstance(security, Security)
    assert security.require_encryption
    assert security.tls_client_cert == "/c/client.crt"
    assert security.tls_client_key == "/c/client.key"
    assert security.tls_ca_file == "/c/ca.pem"


def test_record_of_dead_processes_is_removed(home):
    ref = spawn_detached([sys.executable, "-c", "pass"], home / "x.log")
    deadline = time.monotonic() + 10
    while ref.is_running() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not ref.is_running()
    save_record(
        _record(scheduler_pid=ref.pid, worker_pids=(), processes=((ref.pid, ref.create_time),))
    )
    assert active_cluster() is None
    assert not record_path().exists()
