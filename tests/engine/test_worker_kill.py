"""Killing a worker process mid-run loses and corrupts nothing: Dask reschedules its
tasks, they run again as new attempts, and the run finishes."""

from __future__ import annotations

import pytest
from distributed import LocalCluster
from runkit import run_and_kill_a_worker

pytestmark = pytest.mark.cluster


def test_killing_a_worker_mid_run_does_not_lose_the_run(store_url, tmp_path):
    with LocalCluster(
        n_workers=2, threads_per_worker=3, processes=True, dashboard_address=":0", silence_logs=50
    ) as cluster:
        run_and_kill_a_worker(store_url, tmp_path / "signals", scheduler=cluster.scheduler_address)
