"""Metaflow's smaller names: Parameter(separator=), callable defaults with a context,
current.username, get_metadata()/metadata(), --max-num-splits, and the flow's own
dump/logs/tag commands."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dflow import Parameter, get_metadata, metadata
from dflow.cli.flow_cli import build_flow_cli
from dflow.client import set_store
from dflow.config import user_name
from dflow.errors import DflowError, ParameterError
from dflow.flowfile import load_flow

FLOWS = __file__.rsplit("/", 1)[0] + "/flows"


def _cls():
    return load_flow(f"{FLOWS}/small.py:SmallNamesFlow")


def _run(store_url, **params):
    return _cls().run(store=store_url, scheduler="sync", quiet=True, **params)


def test_separator_callable_defaults_and_username(store_url):
    run = _run(store_url).run
    start = run["start"].task.data
    assert start.names == ["a", "b"]
    assert start.who == f"{user_name()}|SmallNamesFlow|who"
    assert start.username == user_name() and start.items == [0, 1, 2]
    assert run.data.stacks == [[(i, 3, i)] for i in range(3)]
    other = _run(store_url, names="x,y,z", size=2).run["start"].task.data
    assert other.names == ["x", "y", "z"] and other.items == [0, 1]


def test_separator_is_for_string_parameters_only():
    with pytest.raises(ParameterError, match="separator= is only allowed for string"):
        Parameter("n", default=1, separator=",")


def test_a_failing_callable_default_is_one_parameter_error(store_url):
    from dflow import FlowSpec, step

    class BadDefaultFlow(FlowSpec):
        p = Parameter("p", default=lambda ctx: 1 / 0, type=int)

        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    with pytest.raises(ParameterError, match="callable default that failed: ZeroDivisionError"):
        BadDefaultFlow.run(store=store_url, scheduler="sync", quiet=True)


def test_max_num_splits(store_url):
    result = _cls().run(store=store_url, scheduler="sync", quiet=True, max_num_splits=2)
    assert not result.successful
    assert "more than --max-num-splits 2" in result.error.message


def test_get_metadata_and_metadata(store_url):
    _run(store_url)
    before = get_metadata()
    try:
        assert metadata(f"local@{store_url}") == f"local@{store_url}"
        assert get_metadata() == f"local@{store_url}"
        with pytest.raises(DflowError, match="no metadata service"):
            metadata("service@https://example.invalid")
    finally:
        set_store(None)
    assert get_metadata() == before


def test_flow_cli_dump_logs_tag(store_url):
    run_id = _run(store_url).run_id
    cli = build_flow_cli(_cls())
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "names" in invoke("dump", f"{run_id}/start", "--store", store_url)
    names = invoke("dump", "latest/start", "--artifact", "names", "--store", store_url)
    assert "['a', 'b']" in names
    assert invoke("logs", f"{run_id}/start", "--store", store_url) == ""
    invoke("tag", "add", "--run-id", run_id, "--store", store_url, "good", "best")
    invoke("tag", "replace", "--store", store_url, "good", "great")
    assert invoke("tag", "list", "--store", store_url).split() == ["best", "great"]
    bad = runner.invoke(cli, ["dump", "nope/start", "--store", store_url])
    assert bad.exit_code == 1 and "has no run 'nope'" in bad.output
