"""A warm worker (one that outlives a run) never runs stale code, and artifacts made of
the flow's own helper classes load where that code is not installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

import pytest
from distributed import LocalCluster
from runkit import artifacts, run

from dflow.flowfile import load_flow

pytestmark = pytest.mark.cluster

FLOW = """
from dflow import FlowSpec, step

import {helper}


class HelperFlow(FlowSpec):
    @step
    def start(self):
        self.value = {helper}.VALUE
        self.box = {helper}.Box({helper}.VALUE)
        self.next(self.end)

    @step
    def end(self):
        pass
"""

HELPER = """
VALUE = {value}


class Box:
    def __init__(self, content):
        self.content = content
"""


def test_an_edited_helper_module_is_picked_up_by_a_warm_worker(store_url, tmp_path):
    helper = f"helper_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "helper_flow.py").write_text(FLOW.format(helper=helper))
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    ) as cluster:
        values = []
        for value in (1, 2):
            (folder / f"{helper}.py").write_text(HELPER.format(value=value))
            sys.modules.pop(helper, None)
            cls = load_flow(str(folder / "helper_flow.py"))
            result = run(cls, store_url, scheduler=cluster.scheduler_address)
            assert result.status == "succeeded", result.error
            values.append(artifacts(store_url, result, "start")["value"])
    assert values == [1, 2]
    # The Box artifact loads in a process that has no copy of the helper module.
    code = textwrap.dedent(f"""
        from dflow.store import TaskAddress, open_store
        store = open_store({store_url!r})
        m = store.latest_commit(TaskAddress("HelperFlow", {result.run_id!r}, "start", "0"))
        print(store.load(m.artifacts["box"]).content)
        """)
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"
