"""Flows on a cluster started by ``dflow cluster up``: found without flags, from another
directory and process, with an S3 store on a real S3-compatible server; a worker killed
mid-run; a TLS cluster."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest
from netkit import free_port

from dflow.client import Run, set_store
from dflow.cluster.record import load_record

pytestmark = [pytest.mark.cluster, pytest.mark.s3]

HERE = Path(__file__).resolve().parent
ENGINE_TESTS = HERE.parent / "engine"


def up(dflow_cli, *extra: str) -> dict:
    result = dflow_cli(
        "cluster",
        "up",
        "--workers",
        "2",
        "--port",
        str(free_port()),
        "--dashboard-port",
        str(free_port()),
        *extra,
    )
    assert result.exit_code == 0, result.output
    record = load_record()
    assert record is not None
    return {"address": record.address, "record": record}


def test_a_flow_from_another_folder_and_process_runs_on_the_recorded_cluster(
    home, dflow_cli, s3_store_url, tmp_path
):
    url, options = s3_store_url
    cluster = up(dflow_cli, "--threads-per-worker", "2")
    status = dflow_cli("cluster", "status", "--json")
    assert status.exit_code == 0, status.output
    workers = {w["address"] for w in json.loads(status.stdout)["workers"]}
    assert len(workers) == 2

    # The flow file lives only in a fresh folder, under a name no worker can import.
    name = f"remote_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    shutil.copy(HERE / "flows" / "remote.py", folder / f"{name}.py")
    env = dict(
        os.environ, DFLOW_HOME=str(home), DFLOW_STORE=url, DFLOW_STORE_OPTIONS=json.dumps(options)
    )
    env.pop("DFLOW_SCHEDULER", None)
    proc = subprocess.run(
        [sys.executable, "-m", "dflow.cli.main", "run", f"{name}.py", "--width", "6"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"started on cluster ({cluster['address']})" in proc.stderr
    assert "item 5 on tcp://" in proc.stdout  # live logs streamed back from the workers
    run_id = proc.stdout.strip().splitlines()[-1].split()[-1]

    set_store(url, options)
    try:
        run = Run(f"RemoteFlow/{run_id}")
        assert run.successful
        join = run["join"].task.data
        assert set(join.workers) <= workers and join.workers
        assert join.squares == [i * i for i in range(6)]
        # every task ran in a process of the cluster's workers (dask worker or its child)
        started = set(cluster["record"].worker_pids)
        for pid in join.pids + [run["start"].task.data.start_pid]:
            family = {pid} | {p.pid for p in psutil.Process(pid).parents()}
            assert family & started, f"pid {pid} is not a process of the cluster's workers"
    finally:
        set_store(None)
    down = dflow_cli("cluster", "down")
    assert down.exit_code == 0, down.output
    assert dflow_cli("cluster", "status").exit_code == 1


def test_killing_a_worker_of_the_recorded_cluster_mid_run(home, dflow_cli, s3_store_url, tmp_path):
    sys.path.insert(0, str(ENGINE_TESTS))
    from runkit import run_and_kill_a_worker

    url, options = s3_store_url
    up(dflow_cli, "--threads-per-worker", "3")
    run_and_kill_a_worker(url, tmp_path / "signals", scheduler=None, store_options=options)


def test_a_tls_cluster_runs_dflow_flows(home, dflow_cli, tmp_path):
    sys.path.insert(0, str(ENGINE_TESTS))
    from runkit import artifacts, flow_class, run

    cluster = up(dflow_cli, "--tls")
    assert cluster["address"].startswith("tls://")
    store = str(tmp_path / "store")
    result = run(flow_class("WhereFlow"), store, scheduler=None)
    assert result.status == "succeeded", result.error
    assert artifacts(store, result, "join")["workers"][0].startswith("tls://")
