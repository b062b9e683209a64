"""The ``dflow cluster`` command group: help text and argument errors."""

from __future__ import annotations

import click

from dflow.cli.cluster_commands import cluster, register


def test_register_adds_the_group():
    group = click.Group("dflow")
    register(group)
    assert set(group.commands["cluster"].commands) == {"up", "status", "down"}
    assert group.commands["cluster"] is cluster


def test_every_command_has_help_with_an_example(dflow_cli):
    for name in ("up", "status", "down"):
        result = dflow_cli("cluster", name, "--help")
        assert result.exit_code == 0
        assert "Example" in result.stdout, name
    up = dflow_cli("cluster", "up", "--help").stdout
    for flag in (
        "--workers",
        "--threads-per-worker",
        "--memory-limit",
        "--resources",
        "--host",
        "--port",
        "--dashboard-port",
        "--tls",
        "--preload",
        "--ssh",
    ):
        assert flag in up


def test_bad_resources_is_one_sentence_and_exit_1(home, dflow_cli):
    result = dflow_cli("cluster", "up", "--resources", "GPU")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: bad resource 'GPU'")
    assert "Traceback" not in result.output
    assert not (home / "cluster.json").exists()
