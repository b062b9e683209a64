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


def test_ci_runs_lint_and_format_check_before_the_tests():
    _, tests = front_door()
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    checks = [
        "python3 -m ruff check dflow tests examples",
        "python3 -m ruff format --check dflow tests examples",
    ]
    for check in checks:
        assert check in lines, f".ci/run does not run {check!r}"
        assert lines.index(check) < lines.index(tests), f"{check!r} runs after the tests"
    assert lines[-1] == tests, "README's test command is not the last thing .ci/run does"


def test_pytest_collects_the_doctests_of_dflow():
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    pytest_config = config["tool:pytest"]
    assert "dflow" in pytest_config["testpaths"].split()
    assert "--doctest-modules" in pytest_config["addopts"].split()
