"""The flow CLI: parameter options, run_cli, extension by command factories."""

import click
import pytest
from click.testing import CliRunner
from zoo import load_zoo

from dflow.cli import flow_cli
from dflow.cli.flow_cli import build_flow_cli, run_cli
from dflow.cli.flow_options import parameter_options
from dflow.parameters import resolve_parameters


@pytest.fixture()
def params_cls():
    return load_zoo("good_parameters.py")


def probe_command(flow_cls):
    @click.command("probe")
    def probe(**kwargs):
        click.echo(repr(sorted(kwargs.items())))
        values = resolve_parameters(flow_cls, kwargs)
        click.echo(repr(values["count"]) + " " + repr(values["verbose"]))

    probe.params.extend(parameter_options(flow_cls))
    return probe


def test_options_convert_values(params_cls):
    result = CliRunner().invoke(
        probe_command(params_cls),
        [
            "--count",
            "4",
            "--alpha",
            "1e-3",
            "--verbose",
            "yes",
            "--config",
            '{"x": 1}',
            "--seed",
            "3",
            "--who",
            "me",
        ],
    )
    assert result.exit_code == 0, result.output
    given = dict(eval(result.stdout.splitlines()[0]))  # noqa: S307 (our own repr)
    assert given == {
        "who": "me",
        "count": 4,
        "alpha": 0.001,
        "verbose": True,
        "config": {"x": 1},
        "seed": 3,
        "words": None,
    }
    assert result.stdout.splitlines()[1] == "4 True"


def test_bad_value_is_one_clear_sentence(params_cls):
    result = CliRunner().invoke(probe_command(params_cls), ["--count", "lots", "--seed", "1"])
    assert result.exit_code == 2
    assert (
        "Invalid value for '--count': parameter 'count' expects an integer, got 'lots'"
        in result.stderr
    )
    assert "Traceback" not in result.output


def test_options_have_help_and_metavars(params_cls):
    result = CliRunner().invoke(probe_command(params_cls), ["--help"])
    out = result.stdout
    assert "--count INT" in out and "how many times [default: 3]" in out
    assert "--seed INT" in out and "random seed [required]" in out
    assert "--words PATH" in out and "--config JSON" in out


def test_flow_group_has_check_and_show(params_cls):
    group = build_flow_cli(params_cls)
    assert {"check", "show"} <= set(group.commands)
    result = CliRunner().invoke(group, ["check"])
    assert result.exit_code == 0 and "ParametersFlow: ok" in result.stdout
    result = CliRunner().invoke(group, ["--help"])
    assert "Examples:" in result.stdout


def test_flow_group_reports_dflow_errors_without_traceback():
    from dflow import FlowSpec, step

    namespace = {"FlowSpec": FlowSpec, "step": step}
    exec(
        "class Hidden(FlowSpec):\n  @step\n  def start(self):\n    self.next(self.end)\n", namespace
    )
    result = CliRunner().invoke(build_flow_cli(namespace["Hidden"]), ["show"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot read the source of flow 'Hidden'")
    assert "Traceback" not in result.output


def test_run_cli_exits_with_the_commands_status(params_cls, capsys):
    with pytest.raises(SystemExit) as info:
        run_cli(params_cls, ["check"])
    assert info.value.code == 0
    with pytest.raises(SystemExit) as info:
        run_cli(load_zoo("bad_cycle.py"), ["check"])
    assert info.value.code == 1
    assert "steps form a cycle: a -> b -> a" in capsys.readouterr().out


def test_new_command_factories_are_added(params_cls, monkeypatch):
    monkeypatch.setattr(flow_cli, "FLOW_COMMANDS", list(flow_cli.FLOW_COMMANDS))

    @flow_cli.register_flow_command
    def run_factory(flow_cls):
        @click.command("run")
        def run():
            """Run the flow."""
            click.echo(f"running {flow_cls.__name__}")

        return run

    result = CliRunner().invoke(build_flow_cli(params_cls), ["run"])
    assert result.exit_code == 0 and result.stdout == "running ParametersFlow\n"
