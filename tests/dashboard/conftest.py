"""Fixtures of the dashboard tests: a real Dask cluster with the dflow page, and helpers.

``tests/`` goes on ``sys.path`` so that ``browser`` (tests/browser.py) imports.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parents[1]
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

from browser import chromium_binary  # noqa: E402

FLOWS = Path(__file__).resolve().parent / "flows"
REPORT_FLOWS = _TESTS / "report" / "flows"


def get_json(url: str) -> dict:
    """GET a JSON document (127.0.0.1 only)."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)


def wait_for(check, timeout: float = 30.0, every: float = 0.1):
    """Call ``check()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {check.__doc__ or check}")
        time.sleep(every)


def find_run(doc: dict, flow: str, run_id: str | None = None) -> dict | None:
    """The run of ``flow`` (and ``run_id``, if given) in a ``/dflow/api/runs`` answer."""
    for run in doc["runs"]:
        if run["flow"] == flow and (run_id is None or run["run_id"] == run_id):
            return run
    return None


class BackgroundRun:
    """Run a flow file on a scheduler in a thread; ``.result()`` joins and returns it."""

    def __init__(self, path: Path, cls: str, address: str, store: str, params: dict) -> None:
        from dflow.engine.launch import RunOptions, run_flow
        from dflow.flowfile import load_flow

        flow_cls = load_flow(f"{path}:{cls}")
        self.box: dict = {}
        opts = RunOptions(scheduler=address, store=store, quiet=True)

        def target() -> None:
            try:
                self.box["result"] = run_flow(flow_cls, params, opts)
            except BaseException as exc:  # noqa: BLE001 - re-raised in result()
                self.box["error"] = exc

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    def result(self, timeout: float = 60):
        """Wait for the run and return its RunResult (re-raising its exception)."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the run did not finish in time"
        if "error" in self.box:
            raise self.box["error"]
        return self.box["result"]


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster whose scheduler preloads dflow.dashboard: yields (cluster, http base)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1", protocol="tcp",
                      scheduler_kwargs={"preload": ["dflow.dashboard"]}) as lc:
        base = lc.dashboard_link.rsplit("/", 1)[0]
        yield lc, base


@pytest.fixture
def chrome_dir(tmp_path) -> Path:
    """A fresh chromium profile folder; skips the test when no chromium is installed."""
    if chromium_binary() is None:
        pytest.skip("no chromium binary (install it: apt-get install -y chromium)")
    return tmp_path / "chrome-profile"
