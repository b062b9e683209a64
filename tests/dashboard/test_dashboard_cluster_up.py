"""``dflow cluster up`` preloads the dashboard: its scheduler serves /dflow."""

from __future__ import annotations

import urllib.request

import pytest
from dashkit import BackgroundRun, find_run, get_json
from zoo import zoo_path

from dflow.cluster.launch import ClusterOptions, start_cluster, stop_cluster

pytestmark = pytest.mark.cluster


@pytest.fixture
def cluster_home(tmp_path, monkeypatch):
    """A private DFLOW_HOME; the cluster recorded there is stopped after the test."""
    home = tmp_path / "dflow-home"
    monkeypatch.setenv("DFLOW_HOME", str(home))
    yield home
    stop_cluster(home)


def test_cluster_up_serves_the_dflow_page(cluster_home, tmp_path):
    record = start_cluster(
        ClusterOptions(workers=1, port=0, dashboard_port=0, timeout=60), cluster_home
    )
    base = record.dashboard_link.rsplit("/", 1)[0]
    with urllib.request.urlopen(f"{base}/dflow", timeout=10) as resp:
        assert b"dflow runs" in resp.read()
    result = BackgroundRun(
        zoo_path("gated_foreach.py"), "GatedFlow", record.address, str(tmp_path / "store"), {}
    ).result()
    run = find_run(get_json(f"{base}/dflow/api/runs"), "GatedFlow", result.run_id)
    assert run["status"] == "succeeded"
    assert {s["step"]: s["done"] for s in run["steps"]}["hold"] == 3
