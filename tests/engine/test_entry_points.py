"""The three ways to start a run: ``dflow run FILE``, ``python flow.py run`` and
``FlowCls.run()``; on the in-process scheduler, the embedded default, a cluster address,
and inside a user's Client session. Exit status 0 on success, 1 on failure."""

from __future__ import annotations

import linecache
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from runkit import FLOWS, artifacts, flow_class

from dflow.cli.main import main
from dflow.flowfile import load_flow
from dflow.store import open_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SMALL = {"demo.py": ["--size", "1000"], "dask_data.py": ["--mib", "16"]}
#: the same, as FlowCls.run() keywords
SMALL_PARAMS = {"demo.py": {"size": 1000}, "dask_data.py": {"mib": 16}}


def cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_runs_with_dflow_run_on_sync(example, store_url, monkeypatch):
    monkeypatch.chdir(example.parent)
    result = cli(
        "run",
        str(example),
        "--scheduler",
        "sync",
        "--store",
        store_url,
        "--quiet",
        *SMALL.get(example.name, []),
    )
    assert result.exit_code == 0, result.output
    flow = load_flow(str(example)).__name__
    run_id = result.stdout.strip().splitlines()[-1]
    assert open_store(store_url).read_run_record(flow, run_id)["status"] == "succeeded"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_runs_with_flowcls_run_on_a_cluster(
    example, store_url, scheduler, monkeypatch
):
    monkeypatch.chdir(example.parent)
    params = SMALL_PARAMS.get(example.name, {})
    result = load_flow(str(example)).run(scheduler=scheduler, store=store_url, quiet=True, **params)
    assert result.successful, result.error


#: the one example run as a script on the embedded default (a LocalCluster of its own);
#: the others run as scripts on the suite's shared cluster, which is much cheaper
EMBEDDED = "linear.py"


def _run_script(example: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        DFLOW_STORE=str(tmp_path / "store"),
        DFLOW_MAX_WORKERS="2",
        DFLOW_HOME=str(tmp_path / "home"),
    )
    env.pop("DFLOW_SCHEDULER", None)
    proc = subprocess.run(
        [sys.executable, example.name, "run", *SMALL.get(example.name, []), *args],
        cwd=example.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "run id:" in proc.stdout
    assert "Traceback" not in proc.stderr
    return proc


def test_an_example_runs_as_a_script_on_the_embedded_default(tmp_path):
    proc = _run_script(ROOT / "examples" / EMBEDDED, tmp_path)
    assert "started on local" in proc.stderr


@pytest.mark.parametrize(
    "example", [e for e in EXAMPLES if e.name != EMBEDDED], ids=lambda p: p.name
)
def test_every_example_runs_as_a_script_on_a_cluster_address(example, tmp_path, scheduler):
    proc = _run_script(example, tmp_path, "--scheduler", scheduler)
    assert f"started on address ({scheduler})" in proc.stderr


def test_a_failing_run_exits_1_with_the_users_traceback(store_url):
    result = cli(
        "run", f"{FLOWS / 'behaviours.py'}:FailFlow", "--scheduler", "sync", "--store", store_url
    )
    assert result.exit_code == 1
    assert "user code failed on purpose" in result.stderr
    assert "behaviours.py" in result.stderr and "dflow/engine" not in result.stderr


def test_a_bad_parameter_value_is_one_clear_sentence(store_url):
    result = CliRunner().invoke(
        main, ["run", str(ROOT / "examples" / "demo.py"), "--size", "many", "--store", store_url]
    )
    assert result.exit_code == 2
    assert "'--size'" in result.stderr and "many" in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_flow_file_is_one_clear_sentence():
    result = CliRunner().invoke(main, ["run", "no_such_flow.py"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error:") and "Traceback" not in result.output


def test_tags_and_with_reach_the_run(store_url):
    result = cli(
        "run",
        f"{FLOWS / 'behaviours.py'}:FailFlow",
        "--scheduler",
        "sync",
        "--store",
        store_url,
        "--tag",
        "a",
        "--tag",
        "b",
        "--with",
        "catch:var=oops",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    run_id = result.stdout.strip().splitlines()[-1]
    record = open_store(store_url).read_run_record("FailFlow", run_id)
    assert record["tags"] == ["a", "b"] and record["with"] == ["catch:var=oops"]


def test_resume_from_the_command_line(store_url, tmp_path):
    marker = tmp_path / "marker"
    marker.write_text("x")
    spec = f"{FLOWS / 'behaviours.py'}:FlakyForeachFlow"
    failed = cli("run", spec, "--scheduler", "sync", "--store", store_url, "--marker", str(marker))
    assert failed.exit_code == 1
    marker.unlink()
    resumed = cli("resume", spec, "--scheduler", "sync", "--store", store_url, "--quiet")
    assert resumed.exit_code == 0, resumed.output


def test_flowcls_run_rejects_unknown_keywords():
    from dflow.errors import ParameterError

    with pytest.raises(ParameterError, match="no parameter or run option 'sise'"):
        flow_class("WideForeachFlow").run(sise=3)


def test_a_class_defined_in_a_notebook_cell_runs_on_a_cluster(scheduler, store_url):
    source = textwrap.dedent("""
        from dflow import FlowSpec, step

        class CellFlow(FlowSpec):
            @step
            def start(self):
                self.x = 41
                self.next(self.end)

            @step
            def end(self):
                self.y = self.x + 1
        """)
    filename = "<ipython-input-7-0123456789ab>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)
    result = namespace["CellFlow"].run(scheduler=scheduler, store=store_url, quiet=True)
    assert result.successful, result.error
    assert artifacts(store_url, result, "end")["y"] == 42
    assert open_store(store_url).read_run_record("CellFlow", result.run_id)["code_key"] is None
