"""Real processes: ``python examples/x.py check|show`` and the ``dflow`` command.

The command runs as ``python -m dflow`` (the console script's own entry point, ``main``), so
these tests need nothing on PATH.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from zoo import zoo_path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ["linear.py", "branch.py", "foreach.py", "parameters.py"]


def run(*args, cwd=ROOT):
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_check(example):
    result = run(sys.executable, ROOT / "examples" / example, "check")
    assert result.returncode == 0, result.stderr
    assert ": ok (" in result.stdout


def test_example_show_formats():
    path = ROOT / "examples" / "branch.py"
    text = run(sys.executable, path, "show")
    assert text.returncode == 0
    assert "choose" in text.stdout and text.stdout.splitlines()[-2].split() == [
        "choose",
        "join",
        "->",
        "end",
    ]
    dot = run(sys.executable, path, "show", "--format", "dot")
    assert dot.returncode == 0 and '"line_model" -> "choose";' in dot.stdout


def test_example_help_lists_commands():
    result = run(sys.executable, ROOT / "examples" / "foreach.py", "--help")
    assert result.returncode == 0
    assert "check" in result.stdout and "show" in result.stdout


def test_console_script_check_bad_flow():
    result = run(sys.executable, "-m", "dflow", "check", zoo_path("bad_two_problems.py"))
    assert result.returncode == 1
    assert "bad_two_problems.py:5:" in result.stdout and "bad_two_problems.py:9:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_console_script_version():
    result = run(sys.executable, "-m", "dflow", "--version")
    assert result.returncode == 0 and "dflow, version" in result.stdout
