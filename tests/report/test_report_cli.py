"""``dflow report`` and ``Run.report()``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dflow.cli.main import main
from dflow.client import Run
from dflow.client.context import ClientContext


def test_cli_writes_one_html_file(report_run, tmp_path):
    store, result = report_run
    out = tmp_path / "out" / "run.html"
    res = CliRunner().invoke(main, ["report", result.pathspec, "-o", str(out), "--store", store])
    assert res.exit_code == 0, res.output
    assert str(out) in res.output
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and f"{result.run_id}" in html


def test_cli_default_file_name(report_run, tmp_path, monkeypatch):
    store, result = report_run
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["report", result.pathspec, "--store", store])
    assert res.exit_code == 0, res.output
    assert (tmp_path / f"{result.flow_name}-{result.run_id}.html").is_file()


def test_cli_unknown_run_is_one_clear_error(report_run):
    store, result = report_run
    res = CliRunner().invoke(main, ["report", f"{result.flow_name}/1", "--store", store])
    assert res.exit_code != 0
    assert "does not exist" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["report", "no-slash", "--store", store])
    assert res.exit_code != 0 and "does not name a run" in res.output


def test_run_report_in_python(report_run, tmp_path):
    store, result = report_run
    run = Run(result.pathspec, ClientContext(store=store, namespace=None))
    report = run.report()
    inline = report._repr_html_()
    assert inline.startswith("<iframe") and "srcdoc=" in inline and "&lt;svg" in inline
    saved = report.save(tmp_path / "r.html")
    assert saved.read_text() == report.html


def test_cli_takes_latest_for_the_newest_run(report_run, tmp_path):
    from click.testing import CliRunner

    from dflow.cli.main import main

    store, run = report_run
    out = tmp_path / "latest.html"
    result = CliRunner().invoke(
        main, ["report", f"{run.flow_name}/latest", "-o", str(out), "--store", store]
    )
    assert result.exit_code == 0, result.output
    assert run.run_id in result.output and out.exists()


def test_notebook_view_of_a_run_folds_its_report(report_run):
    """The client's notebook view embeds the report layer's page through the renderer
    ``import dflow`` registers (the client never imports dflow.report)."""
    store, result = report_run
    run = Run(result.pathspec, ClientContext(store=store, namespace=None))
    view = run._repr_html_()
    folded = view.split("<details class='dflow-report'>", 1)[1].split("</details>", 1)[0]
    assert "<summary>report (graph, timeline, artifacts, failures)</summary>" in folded
    assert folded.count("<iframe") == 1 and "srcdoc=" in folded
    assert "data-step=&quot;fan&quot;" in folded  # the report's graph, escaped in srcdoc


def test_without_a_registered_renderer_report_is_one_clear_error(report_run, monkeypatch):
    from dflow import renderers
    from dflow.errors import DflowError

    store, result = report_run
    monkeypatch.setattr(renderers, "_VIEWS", {})
    run = Run(result.pathspec, ClientContext(store=store, namespace=None))
    with pytest.raises(DflowError, match="no report renderer is registered"):
        run.report()
    assert "dflow-report" not in run._repr_html_()  # the view shows what it can


def test_inline_report_is_capped_for_big_runs(report_run, monkeypatch):
    from dflow.client import core

    store, result = report_run
    monkeypatch.setattr(core, "MAX_INLINE_REPORT_TASKS", 5)
    view = Run(result.pathspec, ClientContext(store=store, namespace=None))._repr_html_()
    assert "dflow-report" not in view
    assert "The report of 10 tasks is not embedded here (at most 5)" in view
