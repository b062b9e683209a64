"""The cluster a run starts for itself (the embedded default): the run starts as soon as
its scheduler is up, while the workers join; what needs the workers waits for them."""

from __future__ import annotations

import os
import subprocess
import sys

import dask
import pytest
from runkit import artifacts, flow_class, run

from dflow.engine.options import RunResult
from dflow.engine.targets import open_target
from dflow.errors import SchedulerError
from dflow.store import open_store

pytestmark = pytest.mark.cluster


@pytest.fixture(autouse=True)
def _no_recorded_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("DFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DFLOW_SCHEDULER", raising=False)


def test_a_run_with_resources_checks_them_against_the_workers_once_they_joined(store_url):
    # every step asks for one core: with no worker counted yet, no worker would offer it
    result = run(
        flow_class("WhereFlow"),
        store_url,
        scheduler=None,
        max_workers=2,
        with_decorators=("resources:cpu=1,memory=100",),
    )
    assert result.status == "succeeded", result.error
    record = open_store(store_url).read_run_record(result.flow_name, result.run_id)
    assert record["scheduler"]["source"] == "local"
    assert record["scheduler"]["dashboard"].startswith("http://127.0.0.1:")
    assert len(artifacts(store_url, result, "join")["workers"]) <= 2


def test_the_target_counts_its_workers_before_they_joined():
    with open_target(None, max_workers=2) as target:
        assert target.source == "local" and target.slots == 2
        assert target.executor.wait_for_workers() is True
        info = target.executor.client.scheduler_info(n_workers=-1)
        assert len(info["workers"]) == 2
        assert target.executor.worker_resources()[0]["CPU"] >= 1


def test_workers_that_cannot_start_fail_the_run_with_one_clear_error(store_url):
    # a worker preload that does not exist stops every worker process from starting
    with (
        dask.config.set({"distributed.worker.preload": ["no_such_module_of_dflow_tests"]}),
        pytest.raises(SchedulerError, match="workers did not start"),
    ):
        run(flow_class("WhereFlow"), store_url, scheduler=None, max_workers=1)


WORKER_FLOW = """
import os

import psutil

from dflow import FlowSpec, step


class WorkerFlow(FlowSpec):
    @step
    def start(self):
        self.omp = os.environ.get("OMP_NUM_THREADS")
        self.parent = " ".join(psutil.Process(os.getppid()).cmdline())
        self.seen = os.environ.get("DFLOW_TEST_MARK")
        self.next(self.end)

    @step
    def end(self):
        print("parent", self.parent)


if __name__ == "__main__":
    WorkerFlow()
"""


def test_the_command_line_forks_its_workers_from_a_forkserver(tmp_path):
    flow = tmp_path / "worker_flow.py"
    flow.write_text(WORKER_FLOW)
    store = tmp_path / "store"
    env = dict(os.environ, DFLOW_STORE=str(store), DFLOW_TEST_MARK="here")
    done = subprocess.run(
        [sys.executable, str(flow), "run", "--max-workers", "1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1].split()[-1]
    start = artifacts(str(store), RunResult("WorkerFlow", run_id, "succeeded", str(store)), "start")
    assert "forkserver" in start["parent"]  # forked, with distributed imported once
    assert start["omp"] == "1"  # distributed's pre-spawn environment, as a spawned worker
    assert start["seen"] == "here"  # the command's environment


def test_a_configured_scheduler_stops_the_forkserver_started_before_the_config_was_read(
    scheduler, monkeypatch
):
    # python flow.py run starts the forkserver before it reads dask's config; a
    # scheduler named there means no own cluster, so no process is left behind for it.
    import contextlib
    from types import SimpleNamespace

    import psutil

    from dflow.cli.run_commands import _own_cluster_early
    from dflow.engine import forkserver

    def forkservers() -> list:
        return [p for p in psutil.Process().children() if "forkserver" in " ".join(p.cmdline())]

    before = forkservers()
    monkeypatch.delenv("DFLOW_SCHEDULER", raising=False)
    with dask.config.set({"dflow.scheduler": scheduler}):
        early = _own_cluster_early(SimpleNamespace(scheduler=None, max_workers=None))
    assert isinstance(early, contextlib.nullcontext)
    assert not forkserver._state["started"]
    for proc in set(forkservers()) - set(before):
        proc.wait(timeout=10)  # stopped: it exits once its socket is closed
