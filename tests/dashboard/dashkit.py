"""Helpers of the dashboard tests: JSON over urllib, waiting for a condition, background runs."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path

FLOWS = Path(__file__).resolve().parent / "flows"
REPORT_FLOWS = Path(__file__).resolve().parents[1] / "report" / "flows"


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
