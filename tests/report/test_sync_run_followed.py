"""A ``--scheduler sync`` run has no Dask dashboard, yet it can be followed while it runs:
``dflow runs`` lists it as running and ``dflow report`` draws it (in chromium), saying it
runs in-process; both say how it ended afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from browser import dump_dom, elements
from click.testing import CliRunner
from zoo import zoo_path

from dflow.cli.main import main


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _wait_for(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {check.__doc__}"
        time.sleep(0.1)
    return found


def test_a_sync_run_is_listed_and_reported_while_it_runs(tmp_path, chrome_dir):
    store, gate = str(tmp_path / "store"), tmp_path / "gate"
    env = dict(os.environ, DFLOW_HOME=str(tmp_path / "home"))
    cmd = [sys.executable, "-m", "dflow", "run", str(zoo_path("gated_foreach.py"))]
    cmd += ["--gate_file", str(gate), "--scheduler", "sync", "--store", store]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:

        def listed_running():
            """dflow runs lists the run as running, past the first hold task"""
            if not (tmp_path / "store").exists():
                return None
            result = CliRunner().invoke(main, ["runs", "GatedFlow", "--store", store, "-A"])
            lines = result.output.splitlines()[1:] if result.exit_code == 0 else []
            return lines[0].split() if lines and lines[0].split()[1] == "running" else None

        row = _wait_for(listed_running)
        run_id = row[0]

        def hold_running():
            """the report draws hold as running (item 1 waits for the gate)"""
            out = tmp_path / "live.html"
            _cli("report", f"GatedFlow/{run_id}", "-o", str(out), "--store", store)
            hold = elements(out.read_text(), "g", "node", data_step="hold")
            return hold and hold[0]["attrs"]["class"] == "node running"

        _wait_for(hold_running)

        dom = dump_dom((tmp_path / "live.html").as_uri(), user_data_dir=chrome_dir)
        assert elements(dom, "span", "badge")[0]["text"] == "running"
        header = elements(dom, "table")[0]["text"]
        assert "sync (every task ran in the driver's process)" in header
        nodes = {n["attrs"]["data-step"]: n["attrs"]["class"] for n in elements(dom, "g", "node")}
        assert list(nodes) == ["start", "hold", "join", "end"]  # every step, reached or not
        assert nodes["start"] == "node succeeded" and nodes["hold"] == "node running"
        assert nodes["join"] == nodes["end"] == "node waiting"
    finally:
        gate.touch()
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out.decode()[-2000:]
    line = _cli("runs", "GatedFlow", "--store", store, "-A").splitlines()[1].split()
    assert line[:2] == [run_id, "succeeded"]
