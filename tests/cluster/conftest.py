"""Fixtures for the cluster tests: a private DFLOW_HOME and a CLI runner.

Every process a test starts is stopped when it ends, pass or fail: the ``home`` fixture
stops the recorded cluster and then any child process of this test process started
during the test (the cluster processes are spawned as children of pytest).
"""

from __future__ import annotations

import time

import click
import psutil
import pytest
from click.testing import CliRunner

from dflow.cli import cluster_commands
from dflow.cluster.launch import stop_cluster
from dflow.cluster.processes import ProcessRef, stop_processes
from dflow.errors import ClusterError, DflowError


@pytest.fixture
def home(tmp_path, monkeypatch):
    """DFLOW_HOME in a temp folder; stops whatever the test started."""
    folder = tmp_path / "dflow-home"
    monkeypatch.setenv("DFLOW_HOME", str(folder))
    started = time.time() - 0.05
    yield folder
    try:
        stop_cluster(folder)
    except ClusterError:  # a test left a damaged record on purpose
        pass
    finally:
        me = psutil.Process()
        leftovers = [
            ProcessRef(p.pid, p.create_time())
            for p in me.children(recursive=False)
            if p.create_time() >= started and p.is_running()
        ]
        stop_processes(leftovers, grace=5.0)


def _cli_group() -> click.Group:
    """The real ``dflow`` command when it imports; else a group with the same error contract."""
    try:
        from dflow.cli.main import main
    except ImportError:  # other command modules of dflow.cli not in this tree yet

        class Group(click.Group):
            def invoke(self, ctx):
                try:
                    return super().invoke(ctx)
                except DflowError as exc:
                    click.echo(f"error: {exc}", err=True)
                    ctx.exit(exc.exit_code)

        main = Group("dflow")
        cluster_commands.register(main)
    return main


@pytest.fixture
def dflow_cli():
    """Invoke ``dflow ARGS...`` in-process; returns the click Result."""
    runner = CliRunner()
    group = _cli_group()

    def invoke(*args: str):
        return runner.invoke(group, list(args), catch_exceptions=False)

    return invoke
