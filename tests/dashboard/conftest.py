"""Fixtures of the dashboard tests: a real Dask cluster with the dflow page, and chromium.

``browser`` (tests/browser.py) imports because setup.cfg sets ``pythonpath = tests``;
helpers are in ``dashkit.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import chromium_binary


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster whose scheduler preloads dflow.dashboard: yields (cluster, http base)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=2,
        processes=False,
        dashboard_address="127.0.0.1:0",
        host="127.0.0.1",
        protocol="tcp",
        scheduler_kwargs={"preload": ["dflow.dashboard"]},
    ) as lc:
        base = lc.dashboard_link.rsplit("/", 1)[0]
        yield lc, base


@pytest.fixture
def chrome_dir(tmp_path) -> Path:
    """A fresh chromium profile folder; skips the test when no chromium is installed."""
    if chromium_binary() is None:
        pytest.skip("no chromium binary (install it: apt-get install -y chromium)")
    return tmp_path / "chrome-profile"
