"""``dflow cluster up --ssh``: argument handling and the missing-asyncssh path.

An SSH cluster cannot be started here end to end (no SSH hosts), so these tests stop at
the edge: the host list, the keeper's spec and command line, and the errors.
"""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from dflow.cluster import ssh
from dflow.cluster.launch import ClusterOptions, start_ssh_cluster
from dflow.errors import ClusterError


def test_parse_ssh_hosts():
    assert ssh.parse_ssh_hosts("node1,node2") == ["node1", "node2"]
    assert ssh.parse_ssh_hosts(" node1 , node2 ") == ["node1", "node2"]
    for bad in ("", " ", "node1,,node2", ","):
        with pytest.raises(ClusterError, match="bad --ssh host list"):
            ssh.parse_ssh_hosts(bad)


def test_sshcluster_hosts_put_the_scheduler_first():
    assert ssh.sshcluster_hosts(["a"]) == ["a", "a"]
    assert ssh.sshcluster_hosts(["a", "b", "c"]) == ["a", "b", "c"]


def test_spec_and_keeper_command(tmp_path):
    spec = ssh.write_spec(
        tmp_path / "spec.json",
        hosts=["a", "b"],
        workers_per_host=2,
        nthreads=4,
        memory_limit="8GB",
        resources={"GPU": 1.0},
        port=8786,
        dashboard_port=8787,
        address_file=tmp_path / "addr.json",
    )
    data = json.loads(spec.read_text())
    assert data["hosts"] == ["a", "b"]
    assert data["worker_options"] == {
        "n_workers": 2,
        "nthreads": 4,
        "memory_limit": "8GB",
        "resources": {"GPU": 1.0},
    }
    assert data["scheduler_options"] == {"port": 8786, "dashboard_address": ":8787"}
    assert ssh.keeper_argv(spec) == [sys.executable, "-m", "dflow.cluster.ssh", str(spec)]
    assert ssh.main([]) == 2


def _hide_asyncssh(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "asyncssh" else real(name, *a)
    )


def test_missing_asyncssh_says_how_to_install(home, monkeypatch, dflow_cli):
    _hide_asyncssh(monkeypatch)
    with pytest.raises(ClusterError, match="pip install asyncssh"):
        ssh.require_asyncssh()
    result = dflow_cli("cluster", "up", "--ssh", "node1,node2")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: `dflow cluster up --ssh` needs the asyncssh")
    assert "pip install asyncssh" in result.stderr and "Traceback" not in result.output
    assert not (home / "cluster.json").exists()


def test_bad_host_list_on_the_command_line(home, dflow_cli):
    result = dflow_cli("cluster", "up", "--ssh", "node1,,node2")
    assert result.exit_code == 1
    assert "bad --ssh host list" in result.stderr


def test_tls_with_ssh_is_refused(home, monkeypatch):
    monkeypatch.setattr(ssh, "require_asyncssh", lambda: None)
    with pytest.raises(ClusterError, match="cannot be combined with --ssh"):
        start_ssh_cluster(ClusterOptions(tls=True), ["node1"])
