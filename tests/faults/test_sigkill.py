"""SIGKILL in the middle of a run loses and corrupts nothing.

A killed worker: Dask reschedules its tasks, they run again as new attempts (the
interrupted ones are kept), and the run finishes (the run itself is
:func:`runkit.run_and_kill_a_worker`, shared with the recorded-cluster test). A killed
driver: the run is left "running", readers show it as stalled once its heartbeat stops,
and ``dflow resume`` finishes it, reusing what was committed.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from distributed import LocalCluster
from faultkit import dflow_cli
from runkit import FLOWS, run_and_kill_a_worker, wait_for

from dflow.store import TaskAddress, open_store


@pytest.mark.cluster
def test_killing_a_worker_mid_run_does_not_lose_the_run(store_url, tmp_path):
    with LocalCluster(
        n_workers=2, threads_per_worker=3, processes=True, dashboard_address=":0", silence_logs=50
    ) as cluster:
        run_and_kill_a_worker(store_url, tmp_path / "signals", scheduler=cluster.scheduler_address)


def test_a_killed_driver_leaves_a_stalled_run_that_dflow_resume_finishes(store_url, tmp_path):
    signals = tmp_path / "signals"
    signals.mkdir()
    flow = str(FLOWS / "killable.py")
    driver = subprocess.Popen(
        [sys.executable, "-m", "dflow.cli.main", "run", flow, "--scheduler", "sync"]
        + ["--store", store_url, "--signal_dir", str(signals)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: any(signals.glob("pid-0-*")), what="the first child to start")
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(30)
    store = open_store(store_url)
    (origin,) = store.list_runs("KillableFlow")
    assert origin.status == "running"  # nobody was left to say otherwise
    silent = {"DASK_DFLOW__HEARTBEAT__TIMEOUT": "0"}  # its heartbeat stopped: stalled now
    listed = dflow_cli("runs", "KillableFlow", "-A", "--store", store_url, env=silent)
    assert listed.returncode == 0, listed.stderr
    (row,) = [line for line in listed.stdout.splitlines() if origin.run_id in line]
    assert "stalled" in row

    (signals / "go").write_text("go")
    done = dflow_cli("resume", flow, "--scheduler", "sync", "--store", store_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (entry,) = [e for e in store.list_runs("KillableFlow") if e.run_id != origin.run_id]
    assert entry.status == "succeeded"
    join = store.latest_commit(TaskAddress("KillableFlow", entry.run_id, "join", "0"))
    assert store.load(join.artifacts["values"]) == [0, 10, 20, 30, 40, 50]
    start = store.latest_commit(TaskAddress("KillableFlow", entry.run_id, "start", "0"))
    assert start.meta["origin"] == f"KillableFlow/{origin.run_id}/start/0"
