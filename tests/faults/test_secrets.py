"""Credentials never appear in an error, a log, a record, the plan or a task payload."""

from __future__ import annotations

import subprocess
import sys

SECRET = "s3cr3t-DO-NOT-PRINT-7f3a"


def _dflow(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dflow.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_json_typo_in_store_options_does_not_echo_them(tmp_path, monkeypatch):
    import os

    env = dict(os.environ)
    (tmp_path / "store").mkdir()
    env["DFLOW_STORE"] = str(tmp_path / "store")
    env["DFLOW_STORE_OPTIONS"] = '{"key": "AKIA-x", "secret": "' + SECRET + '",}'
    done = _dflow("runs", "SomeFlow", env=env)
    assert done.returncode == 1
    assert "DFLOW_STORE_OPTIONS is not valid JSON" in done.stderr
    assert "Traceback" not in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "AKIA-x" not in done.stdout + done.stderr
