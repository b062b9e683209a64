"""Fixtures of the report tests: runs of the report flows in a local store, and chromium.

``browser`` (tests/browser.py) imports because setup.cfg sets ``pythonpath = tests``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import chromium_binary
from reportkit import run_flow_file


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    """A finished run of ReportFlow (branch, foreach, a retried failure): (store url, result)."""
    store = str(tmp_path_factory.mktemp("report-store"))
    result = run_flow_file("report_flow.py", "ReportFlow", store)
    assert result.status == "succeeded", result.error
    return store, result


@pytest.fixture
def chrome_dir(tmp_path) -> Path:
    """A fresh chromium profile folder; skips the test when no chromium is installed."""
    if chromium_binary() is None:
        pytest.skip("no chromium binary (install it: apt-get install -y chromium)")
    return tmp_path / "chrome-profile"
