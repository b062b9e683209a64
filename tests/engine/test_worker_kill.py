"""Killing a worker process mid-run loses and corrupts nothing: Dask reschedules its
tasks, they run again as new attempts, and the run finishes."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from distributed import LocalCluster
from runkit import artifacts, flow_class, run

from dflow.store import TaskAddress, open_store

pytestmark = pytest.mark.cluster


def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_killing_a_worker_mid_run_does_not_lose_the_run(store_url, tmp_path):
    signals = tmp_path / "signals"
    signals.mkdir()
    outcome = {}
    with LocalCluster(n_workers=2, threads_per_worker=3, processes=True,
                      dashboard_address=":0", silence_logs=50) as cluster:
        thread = threading.Thread(target=lambda: outcome.update(result=run(
            flow_class("KillableFlow", "killable.py"), store_url,
            {"signal_dir": str(signals)}, scheduler=cluster.scheduler_address)))
        thread.start()
        try:
            wait_for(lambda: len(list(signals.glob("pid-*"))) == 6, what="six running children")
            pids = {int(p.name.split("-")[2]) for p in signals.glob("pid-*")}
            victim = sorted(pids)[0]
            killed = sorted(int(p.name.split("-")[1]) for p in signals.glob(f"pid-*-{victim}"))
            os.kill(victim, signal.SIGKILL)
            # the killed worker's children start again elsewhere
            wait_for(lambda: all(
                any(int(p.name.split("-")[2]) != victim for p in signals.glob(f"pid-{i}-*"))
                for i in killed), what="the lost children to be rescheduled")
        finally:
            (signals / "go").write_text("go")
            thread.join(120)
    result = outcome["result"]
    assert result.status == "succeeded", result.error
    assert artifacts(store_url, result, "join")["values"] == [0, 10, 20, 30, 40, 50]
    store = open_store(store_url)
    for i in killed:
        addr = TaskAddress(result.flow_name, result.run_id, "work", str(i))
        assert len(store.list_attempts(addr)) >= 2, "the interrupted attempt is kept"
        assert len(store.committed_attempts(addr)) == 1
        assert store.load(store.latest_commit(addr).artifacts["value"]) == i * 10
