"""@project as Metaflow documents it: user.<name> by default, test.<branch> with
--branch, prod with --production; current.* and the project system tags."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dflow import FlowSpec, project, step
from dflow.cli.flow_cli import build_flow_cli
from dflow.client import ClientContext, Flow
from dflow.config import user_name
from dflow.errors import DflowError
from dflow.flowfile import load_flow

FLOWS = __file__.rsplit("/", 1)[0] + "/flows"


def _cls():
    return load_flow(f"{FLOWS}/projects.py:ProjectFlow")


def _where(store_url, **options):
    result = _cls().run(store=store_url, scheduler="sync", quiet=True, **options)
    return result.run


def test_default_branch_is_the_users(store_url):
    run = _where(store_url)
    user = user_name()
    where = run["start"].task.data.where
    assert where == (
        "fraud_model",
        f"user.{user}",
        f"fraud_model.user.{user}.ProjectFlow",
        False,
        True,
    )
    assert {"project:fraud_model", f"project_branch:user.{user}"} <= run.system_tags


def test_branch_and_production(store_url):
    assert _where(store_url, branch="exp")["start"].task.data.where[1:4] == (
        "test.exp",
        "fraud_model.test.exp.ProjectFlow",
        False,
    )
    prod = _where(store_url, production=True)["start"].task.data.where
    assert prod[1] == "prod" and prod[3] is True and prod[4] is False
    both = _where(store_url, branch="v2", production=True)["start"].task.data.where
    assert both[1] == "prod.v2"


def test_cli_top_level_and_run_options(store_url):
    cli = build_flow_cli(_cls())
    runner = CliRunner()
    for args in (
        ["--branch", "top", "run"],
        ["run", "--branch", "top"],
    ):
        result = runner.invoke(cli, [*args, "--scheduler", "sync", "--quiet", "--store", store_url])
        assert result.exit_code == 0, result.output
    runs = list(Flow("ProjectFlow", ClientContext(store_url, namespace=None)))
    assert all("project_branch:test.top" in r.system_tags for r in runs)


def test_bad_names_and_branch_without_project(store_url):
    with pytest.raises(DflowError, match="lowercase letters"):
        project(name="Bad-Name")

    class Plain(FlowSpec):
        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    with pytest.raises(DflowError, match="need a @project"):
        Plain.run(store=store_url, scheduler="sync", quiet=True, branch="x")
