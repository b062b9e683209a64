"""Metaflow's own tutorials on dflow, with only ``from metaflow import`` changed.

The tutorials are read at test time from the ``metaflow`` package the test extra installs
(its ``metaflow/tutorials`` folder); nothing of them is copied into this project. Each
flow runs as the tutorials say (``python flow.py run``), in their order (03 reads 02's
run through the client), and the code cells of the notebooks of 01, 02, 06 and 07 run as
one script each. 02's statistics are compared with those of Metaflow's own run of the
unchanged file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

metaflow = pytest.importorskip("metaflow", reason="the test extra installs metaflow")

TUTORIALS = Path(metaflow.__file__).parent / "tutorials"
FLOWS = [  # in the order the tutorials run them
    ("00-helloworld", "helloworld.py", "HelloFlow"),
    ("01-playlist", "playlist.py", "PlayListFlow"),
    ("02-statistics", "stats.py", "MovieStatsFlow"),
    ("03-playlist-redux", "playlist.py", "PlayListFlow"),
    ("05-hello-cloud", "hello-cloud.py", "HelloCloudFlow"),
]
NOTEBOOKS = [
    "01-playlist/playlist.ipynb",
    "02-statistics/stats.ipynb",
    "06-statistics-redux/stats.ipynb",
    "07-worldview/worldview.ipynb",
]


def _ported(text: str) -> str:
    """The one change a user makes: the import line."""
    return text.replace("from metaflow import", "from dflow import")


def _copy(folder: str, dest: Path, port: bool) -> Path:
    target = dest / folder
    shutil.copytree(TUTORIALS / folder, target, ignore=shutil.ignore_patterns("__pycache__"))
    if port:
        for path in target.glob("*.py"):
            path.write_text(_ported(path.read_text()))
    return target


def _cells(notebook: str) -> str:
    cells = json.loads((TUTORIALS / notebook).read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return _ported("\n\n".join(code))


@pytest.fixture(scope="module")
def tutorials(tmp_path_factory) -> dict:
    """Every tutorial flow run on dflow (in-process scheduler), one store for all."""
    root = tmp_path_factory.mktemp("tutorials")
    env = {
        **os.environ,
        "DFLOW_STORE": str(root / "store"),
        "DFLOW_SCHEDULER": "sync",
        "MPLBACKEND": "Agg",
    }
    outputs = {}
    for folder, script, _ in FLOWS:
        where = _copy(folder, root, port=True)
        done = subprocess.run(
            [sys.executable, script, "run"],
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        outputs[folder] = done
    return {"root": root, "env": env, "outputs": outputs}


@pytest.mark.parametrize(("folder", "script", "flow"), FLOWS)
def test_each_tutorial_flow_runs_with_only_its_import_changed(tutorials, folder, script, flow):
    done = tutorials["outputs"][folder]
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Run {flow}/" in done.stderr + done.stdout and "succeeded" in done.stderr
    if folder == "00-helloworld":
        assert "Metaflow says: Hi!" in done.stdout
    if folder == "03-playlist-redux":  # it read 02's run with the client
        assert "Using metadata provider: local@" in done.stdout


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_each_tutorial_notebook_runs_as_a_script(tutorials, notebook):
    done = subprocess.run(
        [sys.executable, "-c", _cells(notebook)],
        cwd=tutorials["root"],
        env=tutorials["env"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "metadata provider: local@" in out
    if notebook.startswith("01"):
        assert "Playlist for movies in genre" in out and "Top Pick:" in out
    elif notebook.startswith("06"):
        assert "The best movie ever made:" in out
    elif notebook.startswith("07"):
        for flow in ("HelloFlow", "PlayListFlow", "MovieStatsFlow", "HelloCloudFlow"):
            assert f"{flow} " in out
        assert "Successful: True" in out and "runtime:dflow" in out
    else:
        assert "Using run: Run('MovieStatsFlow/" in out


def test_statistics_equal_metaflows_own_run(tutorials, tmp_path):
    """Tutorial 02, unchanged, run by Metaflow; its genre_stats equal dflow's."""
    from dflow.client import ClientContext, Flow

    where = _copy("02-statistics", tmp_path, port=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DFLOW_", "METAFLOW_"))}
    env.update(
        USERNAME="tester", METAFLOW_HOME=str(tmp_path / "mfhome"), METAFLOW_DEFAULT_METADATA="local"
    )
    ran = subprocess.run(
        [sys.executable, "stats.py", "run"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    read = (
        "import json\nfrom metaflow import Flow, namespace\nnamespace(None)\n"
        "print(json.dumps(Flow('MovieStatsFlow').latest_successful_run.data.genre_stats))"
    )
    theirs = subprocess.run(
        [sys.executable, "-c", read], cwd=where, env=env, capture_output=True, text=True
    )
    assert theirs.returncode == 0, theirs.stderr[-3000:]
    context = ClientContext(tutorials["env"]["DFLOW_STORE"], namespace=None)
    ours = Flow("MovieStatsFlow", context).latest_successful_run.data.genre_stats
    expected = json.loads(theirs.stdout)
    assert len(expected) > 10
    assert json.loads(json.dumps(ours)) == expected
