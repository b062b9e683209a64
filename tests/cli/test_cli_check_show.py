"""``dflow check`` and ``dflow show`` through click's CliRunner."""

import pytest
from click.testing import CliRunner
from zoo import (
    BAD_FLOWS,
    BROKEN_FILES,
    GOOD_FLOWS,
    expected_problems,
    write_broken_syntax,
    zoo_path,
)

from dflow import __version__
from dflow.cli.main import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("name", sorted(GOOD_FLOWS))
def test_check_good_flow_exits_0(name):
    result = invoke("check", zoo_path(name))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{GOOD_FLOWS[name]}: ok (")


def test_check_reports_both_problems_with_file_and_line():
    path = zoo_path("bad_two_problems.py")
    result = invoke("check", path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].endswith(
        "bad_two_problems.py:5: parameter 'size' expects an integer, got 'big' as its default"
    )
    assert "bad_two_problems.py:9: step 'start': foreach= takes the name" in result.stdout
    assert "hint: write foreach='items', not foreach=self.items" in result.stdout
    assert "TwoProblemsFlow: 2 problems" in result.stderr


@pytest.mark.parametrize("name", BAD_FLOWS)
def test_every_bad_flow_fails_check_without_a_traceback(name):
    result = invoke("check", zoo_path(name))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for line, _ in expected_problems(name):
        assert f"{name}:{line}: " in result.stdout


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_broken_files_fail_with_one_error_and_no_internal_traceback(name):
    result = invoke("check", zoo_path(name))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert BROKEN_FILES[name] in result.stderr
    assert "flowfile.py" not in result.output and "click" not in result.output


def test_syntax_error_is_file_line(tmp_path):
    path = write_broken_syntax(tmp_path)
    result = invoke("show", path)
    assert result.exit_code == 1
    assert "broken_syntax.py:6: syntax error" in result.stderr
    assert "Traceback" not in result.output


def test_check_selects_a_class():
    path = zoo_path("broken_two_flows.py")
    assert invoke("check", f"{path}:FirstFlow").exit_code == 0
    result = invoke("check", f"{path}:Nope")
    assert result.exit_code == 1 and "defines no flow class 'Nope'" in result.stderr


def test_show_text():
    result = invoke("show", zoo_path("good_branch_in_foreach.py"))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("BranchInForeachFlow  (")
    rows = {line.split()[0]: line for line in lines[2:]}
    assert rows["start"].split()[1:] == ["foreach", "->", "fan", "(foreach", "seeds)"]
    assert rows["left"].startswith("    left")  # indented two levels: inside foreach and split
    assert rows["inner_join"].startswith("  inner_join") and "join" in rows["inner_join"]
    assert rows["end"].split() == ["end", "end"]


def test_show_dot():
    result = invoke("show", zoo_path("good_foreach.py"), "--format", "dot")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith('digraph "ForeachFlow" {') and out.rstrip().endswith("}")
    assert '"start" -> "square" [label="foreach items", style=dashed];' in out
    assert '"square" -> "join";' in out and '"join" -> "end";' in out


def test_show_mermaid():
    result = invoke("show", zoo_path("good_switch.py"), "--format", "mermaid")
    assert result.exit_code == 0
    out = result.stdout.splitlines()
    assert out[0] == "flowchart TD"
    assert '  step_start{"start (switch)"}' in out
    assert "  step_start -- \"'fast'\" --> step_quick" in out
    assert "  step_report --> step_end" in out


def test_show_decorators_in_text():
    result = invoke("show", zoo_path("good_decorators.py"))
    assert "@retry(minutes_between_retries=0, times=2)" in result.stdout


def test_show_bad_format_is_a_usage_error():
    result = invoke("show", zoo_path("good_linear.py"), "--format", "png")
    assert result.exit_code == 2 and "Invalid value for '--format'" in result.stderr


def test_show_an_unknown_run_pathspec_is_one_clear_sentence(tmp_path):
    result = invoke("show", "LinearFlow/123", "--store", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "LinearFlow" in result.stderr and "Traceback" not in result.output


def test_version_and_help():
    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.stdout
    result = invoke("--help")
    assert result.exit_code == 0
    assert "check" in result.stdout and "show" in result.stdout


@pytest.mark.parametrize("command", ["check", "show"])
def test_command_help_has_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout and f"dflow {command} flow.py" in result.stdout
