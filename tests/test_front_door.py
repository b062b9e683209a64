"""README's first code block is the front door: two commands, kept in step with .ci/run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def front_door() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```[a-z]*\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_the_first_code_block_holds_exactly_the_two_commands():
    demo, tests = front_door()
    assert "examples/demo.py run" in demo and "pip install -e ." in demo
    assert (ROOT / "examples" / "demo.py").is_file()
    assert "pytest" in tests and '".[test]"' in tests


def test_ci_runs_the_readme_test_command_verbatim():
    _, tests = front_door()
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci.splitlines()
