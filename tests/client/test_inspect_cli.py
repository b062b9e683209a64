"""The inspection commands through click's CliRunner: output, options and every error path."""

import json
import platform
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dflow.cli.main import main


@pytest.fixture
def cli(history):
    runner = CliRunner()

    def invoke(*args, code=0):
        result = runner.invoke(main, [*args, "--store", history["store"]])
        assert result.exit_code == code, result.output
        if code:  # an error is one sentence, never a traceback
            assert "Traceback" not in result.output
        return result

    return invoke


def test_runs_table(cli, history):
    out = cli("runs", "ParamsFlow").output
    lines = out.splitlines()
    assert lines[0].split() == ["run", "id", "status", "started", "duration", "tags"]
    assert [line.split()[0] for line in lines[1:]] == [history["params"], history["params_old"]]
    assert "succeeded" in lines[1]


def test_runs_all_namespaces_tag_and_limit(cli, history):
    out = cli("runs", "ParamsFlow", "--all-namespaces").output
    assert history["params_bob"] in out and "shared" in out
    out = cli("runs", "ParamsFlow", "-A", "--tag", "shared").output
    assert history["params_bob"] in out and history["params"] not in out
    out = cli("runs", "ParamsFlow", "-A", "--limit", "1").output
    assert len(out.splitlines()) == 2
    out = cli("runs", "ParamsFlow", "--namespace", "user:zed").output
    assert "no runs in user:zed" in out


def test_logs(cli, history):
    assert cli("logs", f"ParamsFlow/{history['params']}/end/0").output == "y is 1.4\n"
    assert cli("logs", "ParamsFlow/latest/end").output == "y is 1.4\n"  # one-task step
    out = cli("logs", f"FailingFlow/{history['failed']}/explode", "--stderr").output
    assert "warning: bad input" in out and "ValueError: boom in explode" in out
    assert "client_flows.py" in out and "dflow/engine" not in out  # the user's frames only
    out = cli("logs", "RetryFlow/latest/start/0", "--attempt", "0").output
    assert out == "attempt 0\n"
    assert cli("logs", "RetryFlow/latest/start/0").output == "attempt 1\n"


def test_dump(cli, history):
    out = cli("dump", f"ParamsFlow/{history['params']}/end/0").output
    assert out.splitlines()[0].split() == ["name", "type", "size", "encoding", "value"]
    assert any(line.split()[0] == "y" and "1.4" in line for line in out.splitlines())
    assert cli("dump", "ParamsFlow/latest/end", "--artifact", "y").output == "1.4\n"
    doc = json.loads(cli("dump", "ParamsFlow/latest/end", "--json").output)
    assert doc == {"alpha": 0.7, "x": 1, "y": 1.4}
    out = cli("dump", "ArrayFlow/latest/start").output
    # the preview a run report shows too (dflow.client.preview), capped for the table
    assert "array shape=(400000,) dtype=float64 head=" in out
    doc = json.loads(cli("dump", "ArrayFlow/latest/start", "--artifact", "small", "--json").output)
    assert doc == [0, 1, 2, 3, 4]


def test_tags(cli, tmp_path):
    from client_flows import ParamsFlow
    from clientkit import make_run

    url = str(tmp_path / "store")
    rid = make_run(ParamsFlow, url).run_id
    runner = CliRunner()

    def tag(*args):
        result = runner.invoke(main, ["tag", *args, "--store", url])
        assert result.exit_code == 0, result.output
        return result.output

    assert tag("add", f"ParamsFlow/{rid}", "one", "two") == f"ParamsFlow/{rid}: one, two\n"
    assert tag("remove", "ParamsFlow/latest", "one") == f"ParamsFlow/{rid}: two\n"
    assert tag("list", f"ParamsFlow/{rid}") == "two\n"
    result = runner.invoke(main, ["tag", "add", f"ParamsFlow/{rid}", "--store", url])
    assert result.exit_code == 2 and "Missing argument" in result.output


def test_code(cli, history, tmp_path):
    out = cli("code", f"ParamsFlow/{history['params']}").output
    assert "class ParamsFlow(FlowSpec)" in out
    out = cli("code", "ParamsFlow/latest", "--extract", str(tmp_path / "code")).output
    assert "extracted the code" in out and "client_flows.py" in out
    assert "class ParamsFlow" in (tmp_path / "code" / "client_flows.py").read_text()
    here = Path(__file__).resolve().parent  # the flows of these runs live beside this file
    assert f"(flow file: client_flows.py, from {platform.node()}:{here / 'client_flows.py'})" in out


def test_code_lists_where_each_file_came_from(cli, history):
    here = Path(__file__).resolve().parent
    lines = cli("code", "ParamsFlow/latest", "--list").output.splitlines()
    assert lines[0].startswith("code of ParamsFlow/") and "flow file client_flows.py" in lines[0]
    assert f"packed from {platform.node()}:{here};" in lines[0]
    assert lines[1].split() == ["size", "file", "came", "from"]
    rows = {line.split()[-2]: line.split() for line in lines[2:]}
    assert rows["client_flows.py"][-1] == str(here / "client_flows.py")
    assert rows["conftest.py"][-1] == str(here / "conftest.py")
    assert re.fullmatch(r"[\d.]+ k?i?B", " ".join(rows["client_flows.py"][:2]))
    listed = sorted(rows)
    assert listed == sorted(p.name for p in here.iterdir() if p.is_file() and p.name[0] != ".")
    result = CliRunner().invoke(
        main, ["code", "ParamsFlow/latest", "--list", "--extract", "x", "--store", history["store"]]
    )
    assert result.exit_code != 0 and "not both" in result.output


def test_show_run(cli, history):
    out = cli("show", f"ForeachFlow/{history['foreach']}").output
    assert out.startswith(f"Run ForeachFlow/{history['foreach']}  succeeded")
    table, _, graph = out.partition("\ngraph\n")
    rows = {line.split()[0]: line.split() for line in table.splitlines()[3:] if line.strip()}
    assert list(rows)[1:] == ["start", "square", "join", "end"]
    assert rows["square"][1:3] == ["3", "succeeded"]
    # the flow's graph as the run recorded it, each step with its state
    assert "square" in graph and graph.count("[succeeded]") == 4
    out = cli("show", f"FailingFlow/{history['failed']}").output
    assert "failed" in out.splitlines()[0]
    assert "explode" in out and "ValueError: boom in explode" in out
    graph = out.partition("\ngraph\n")[2].splitlines()[-3:]
    assert [line.split()[0] for line in graph] == ["start", "explode", "end"]
    assert graph[0].endswith("[succeeded]") and graph[1].endswith("[failed]")
    assert graph[2].endswith("[not reached]")


def test_show_old_run_without_a_recorded_graph(tmp_path):
    """A run recorded before the graph field: text still works, dot is one clear sentence."""
    from history_records import FLOW, write_history

    from dflow.store import open_store

    store = str(tmp_path / "old")
    run_id = write_history(open_store(store), 1, {})[0]
    runner = CliRunner()
    text = runner.invoke(main, ["show", f"{FLOW}/{run_id}", "--store", store])
    assert text.exit_code == 0 and f"Run {FLOW}/{run_id}" in text.output
    assert "\ngraph\n" not in text.output
    dot = runner.invoke(main, ["show", f"{FLOW}/{run_id}", "--format", "dot", "--store", store])
    assert dot.exit_code == 1 and "Traceback" not in dot.output
    assert "recorded before dflow kept the flow's graph" in dot.output


def test_show_run_draws_the_recorded_graph_as_dot_and_mermaid(cli, history):
    dot = cli("show", f"FailingFlow/{history['failed']}", "--format", "dot").output
    assert dot.startswith('digraph "FailingFlow"')
    end = next(line for line in dot.splitlines() if line.strip().startswith('"end" ['))
    assert "not reached" in end and "#f2f2f2" in end
    assert '"explode" -> "end"' in dot
    mermaid = cli("show", f"FailingFlow/{history['failed']}", "--format", "mermaid").output
    assert "class step_end not_reached" in mermaid and "class step_explode failed" in mermaid
    out = cli("show", "ParamsFlow/latest").output
    assert "parameters alpha=0.7" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (("runs", "NoFlow"), "flow 'NoFlow' has no runs"),
        (("logs", "NoFlow/latest/end/0"), "flow 'NoFlow' has no runs"),
        (("logs", "ParamsFlow/123/end/0"), "flow 'ParamsFlow' has no run '123'"),
        (("logs", "ParamsFlow/latest/nostep/0"), "has no step 'nostep'"),
        (("logs", "ParamsFlow/latest/end/9"), "has no task '9'"),
        (("logs", "ParamsFlow/latest/end/0", "--attempt", "3"), "has no attempt 3"),
        (("logs", "ForeachFlow/latest/square"), "has 3 tasks: name one of them"),
        (("logs", "ParamsFlow/latest"), "names a run, not a task"),
        (("dump", "ParamsFlow/latest/end/0", "--artifact", "nope"), "has no artifact 'nope'"),
        (("dump", "ParamsFlow/latest/end/0/x/y"), "is not a pathspec"),
        (("tag", "list", "ParamsFlow/999"), "has no run '999'"),
        (("code", "NoFlow/latest"), "flow 'NoFlow' has no runs"),
        (("show", "ParamsFlow/999"), "has no run '999'"),
        (
            ("logs", "ParamsFlow/latest/end/0", "--namespace", "user:zed"),
            "no runs in the namespace",
        ),
    ],
)
def test_unknown_objects_exit_1_with_one_sentence(cli, args, message):
    result = cli(*args, code=1)
    assert result.output.startswith("error: ") and message in result.output


def test_run_of_another_namespace(cli, history):
    result = cli("logs", f"ParamsFlow/{history['params_bob']}/end/0", code=1)
    assert "not in the namespace 'user:alice'" in result.output
    assert cli("logs", f"ParamsFlow/{history['params_bob']}/end/0", "-A").output == "y is 10.0\n"


@pytest.mark.parametrize(
    "command",
    [
        ["runs"],
        ["logs"],
        ["dump"],
        ["tag"],
        ["tag", "add"],
        ["tag", "remove"],
        ["tag", "list"],
        ["code"],
        ["show"],
    ],
)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_a_missing_store_is_one_sentence(tmp_path):
    result = CliRunner().invoke(main, ["runs", "ParamsFlow", "--store", str(tmp_path / "no")])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: there is no dflow store at {tmp_path / 'no'}")
    assert not (tmp_path / "no").exists()
