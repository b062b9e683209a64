"""Fixtures of the engine suite (zoo and runkit import: ``pythonpath = tests`` in setup.cfg)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A fresh local store."""
    return str(tmp_path / "store")


@pytest.fixture(scope="session")
def dask_cluster():
    """The suite's shared Dask cluster: 2 worker processes with 2 threads each."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=2,
        processes=True,
        dashboard_address=":0",
        resources={"CPU": 2, "MEMORY": 4000},
        silence_logs=50,
    )
    yield cluster
    cluster.close()


@pytest.fixture
def scheduler(dask_cluster) -> str:
    """The shared cluster's scheduler address."""
    return dask_cluster.scheduler_address
