"""Config / config_expr: values from a file or inline, read in steps with attribute
access, in Parameter defaults and in decorator arguments; replaced per run."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dflow.cli.flow_cli import build_flow_cli
from dflow.decorators import step_decorators
from dflow.flowfile import load_flow

FLOWS = __file__.rsplit("/", 1)[0] + "/flows"


def _cls():
    return load_flow(f"{FLOWS}/configs.py:ConfigFlow")


def test_configs_from_the_default_file_and_value(store_url):
    cls = _cls()
    result = cls.run(store=store_url, scheduler="sync", quiet=True)
    assert result.successful, result.error
    assert result.run["start"].task.data.seen == (4, "inline", 0.25)
    assert dict(step_decorators(cls.start)["resources"].options)["cpu"] == 1


def test_configs_replaced_on_the_command_line(store_url, tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"alpha": 0.5, "cpu": 1, "model": {"depth": 9}}))
    cls = _cls()
    cli = build_flow_cli(cls)
    args = ["--config", "train", str(other), "--config-value", "extra", '{"note": "cli"}']
    out = CliRunner().invoke(cli, [*args, "run", "--scheduler", "sync", "--store", store_url])
    assert out.exit_code == 0, out.output
    from dflow.client import ClientContext, Flow

    run = Flow("ConfigFlow", ClientContext(store_url, namespace=None)).latest_run
    assert run["start"].task.data.seen == (9, "cli", 0.5)
    bad = CliRunner().invoke(cli, ["--config", "train", "/no/such.json", "check"])
    assert bad.exit_code != 0 and "does not exist" in bad.output


def test_a_step_on_a_cluster_reads_the_runs_config_not_the_class_default(scheduler, tmp_path):
    # The worker imports the flow's module afresh, so only the run's recorded value can
    # give the step the config given on the command line.
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"alpha": 0.75, "cpu": 1, "model": {"depth": 7}}))
    store = str(tmp_path / "store")
    cli = build_flow_cli(_cls())
    args = ["--config", "train", str(other), "--config-value", "extra", '{"note": "remote"}']
    out = CliRunner().invoke(cli, [*args, "run", "--scheduler", scheduler, "--store", store])
    assert out.exit_code == 0, out.output
    from dflow.client import ClientContext, Flow

    run = Flow("ConfigFlow", ClientContext(store, namespace=None)).latest_run
    assert run["start"].task.data.seen == (7, "remote", 0.75)
