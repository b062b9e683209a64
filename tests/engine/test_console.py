"""What a run prints on the console: a line per retried attempt, and tracebacks that point
at the user's own file (not the worker's extracted copy of the code snapshot), on a
cluster and under ``--scheduler sync``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dflow.store import TaskAddress, open_store

FLOW = Path(__file__).resolve().parents[1] / "report" / "flows" / "report_flow.py"


@pytest.fixture(params=[pytest.param("cluster", marks=pytest.mark.cluster), "sync"])
def where(request) -> str:
    """The shared cluster's address, or ``sync`` (every task in the driver's process)."""
    if request.param == "sync":
        return "sync"
    return request.getfixturevalue("scheduler")


def test_retries_are_one_line_each_and_tracebacks_name_the_users_file(tmp_path, where):
    scheduler = where
    project = tmp_path / "project"
    project.mkdir()
    flow = Path(shutil.copy(FLOW, project / "report_flow.py"))
    store = tmp_path / "store"
    env = dict(os.environ, DFLOW_STORE=str(store), DFLOW_HOME=str(tmp_path / "home"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dflow",
            "run",
            flow.name,
            "--explode",
            "true",
            "--scheduler",
            scheduler,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode != 0
    err = proc.stderr
    retry = [line for line in err.splitlines() if "retrying in" in line]
    assert len(retry) == 1, err[-3000:]
    assert re.search(
        r"\[ReportFlow/\d+/right/0\] attempt 0 failed: RuntimeError: flaky on purpose: "
        r"first attempt of right; retrying in no time \(retry 1 of 2\)",
        retry[0],
    ), retry[0]
    # the final failure's traceback names the user's own file and line
    assert f'File "{flow}", line 40, in fan' in err, err[-3000:]
    assert "dflow-code" not in err
    # and so does the attempt record
    run_id = re.search(r"ReportFlow/(\d+)", err)[1]
    rec = open_store(str(store)).read_attempt_record(
        TaskAddress("ReportFlow", run_id, "fan", "2"), 0
    )
    assert f'File "{flow}", line 40' in rec["error"]["traceback"]


@pytest.mark.cluster
def test_a_warning_on_a_worker_names_the_users_file(tmp_path, scheduler):
    """Output of a step (here a warning) names the user's file, not the worker's snapshot
    copy: on the console as it streams, and in the task's stored log."""
    project = tmp_path / "project"
    project.mkdir()
    flow = Path(shutil.copy(FLOW.parents[2] / "engine" / "flows" / "warns.py", project))
    line = 1 + flow.read_text().splitlines().index(
        '        warnings.warn("look at this line", UserWarning, stacklevel=1)'
    )
    env = dict(os.environ, DFLOW_STORE=str(tmp_path / "store"), DFLOW_HOME=str(tmp_path / "h"))
    run = [sys.executable, "-m", "dflow", "run", flow.name, "--scheduler", scheduler]
    proc = subprocess.run(run, cwd=project, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = f"{flow}:{line}: UserWarning: look at this line"
    assert expected in proc.stderr and "dflow-code" not in proc.stderr, proc.stderr[-3000:]
    logs = [sys.executable, "-m", "dflow", "logs", "WarnFlow/latest/start/0", "--stderr"]
    stored = subprocess.run(logs, cwd=project, env=env, capture_output=True, text=True, timeout=60)
    assert expected in stored.stdout, stored.stdout + stored.stderr
