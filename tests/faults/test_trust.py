"""Inspection never runs planted code: the CLI and the client open stores untrusted.

The commands run in this process (faultkit.dflow_in_process): planted code that ran would
leave its marker here as it would in a fresh process, and faulty.Planted is importable here.
"""

from __future__ import annotations

import json

import pytest
from faultkit import dflow_in_process, fault_flow, run

from dflow.client import ClientContext, Task
from dflow.errors import PickleRefusedError


@pytest.fixture
def planted(tmp_path, store_url):
    marker = tmp_path / "planted-code-ran"
    result = run(fault_flow("PlantedFlow"), store_url, {"marker": str(marker)})
    assert result.successful and not marker.exists()
    return store_url, f"PlantedFlow/{result.run_id}", marker


COMMANDS = [
    ("dump", "{run}/start/0", "-A"),
    ("dump", "{run}/start/0", "--json", "-A"),
    ("dump", "{run}/start/0", "--artifact", "evil", "-A"),
    ("dump", "{run}/start/0", "--artifact", "evil", "--json", "-A"),
    ("dump", "{run}/start", "-A"),
    ("show", "{run}"),
    ("show", "{run}", "--format", "dot"),
    ("logs", "{run}/start/0", "-A"),
    ("runs", "PlantedFlow", "-A"),
    ("tag", "list", "{run}", "-A"),
    ("code", "{run}", "-A"),
    ("report", "{run}", "-o", "{tmp}/run.html"),
]


def test_no_cli_command_runs_a_planted_pickle(planted, tmp_path):
    store, run_spec, marker = planted
    env = {"DFLOW_HOME": str(tmp_path / "someone-else")}
    outputs = {}
    for command in COMMANDS:
        args = [a.format(run=run_spec, tmp=tmp_path) for a in command]
        done = dflow_in_process(*args, "--store", store, env=env)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert not marker.exists(), f"dflow {' '.join(args)} ran the planted pickle"
        outputs[command] = done
    listing = outputs[("dump", "{run}/start/0", "-A")]
    assert listing.returncode == 0, listing.stderr
    assert "<pickle of faulty.Planted, " in listing.stdout
    assert "bytes: not loaded (untrusted store)>" in listing.stdout
    assert "{'a': 1}" in listing.stdout  # plain data still shows
    refused = outputs[("dump", "{run}/start/0", "--artifact", "evil", "-A")]
    assert refused.returncode == 1
    assert "untrusted" in refused.stderr and "--trusted" in refused.stderr
    as_json = json.loads(outputs[("dump", "{run}/start/0", "--json", "-A")].stdout)
    assert as_json["plain"] == {"a": 1}
    assert "not loaded (untrusted store)" in as_json["evil"]


def test_the_client_is_untrusted_unless_told(planted, monkeypatch):
    store, run_spec, marker = planted
    monkeypatch.delenv("DFLOW_TRUSTED", raising=False)
    task = Task(f"{run_spec}/start/0", ClientContext(store, namespace=None))
    names = [a.id for a in task.artifacts]
    assert "evil" in names and repr(task.artifacts.evil)
    assert task.data.plain == {"a": 1}
    with pytest.raises(PickleRefusedError, match="untrusted"):
        task.data.evil  # noqa: B018
    assert not marker.exists()
    # trusted on request: the value is loaded (so this test would see planted code run)
    trusted = Task(f"{run_spec}/start/0", ClientContext(store, namespace=None, trusted=True))
    trusted.data.evil  # noqa: B018
    assert marker.exists()


def test_trust_from_the_configuration(planted, monkeypatch):
    store, run_spec, marker = planted
    monkeypatch.setenv("DFLOW_TRUSTED", "true")
    Task(f"{run_spec}/start/0", ClientContext(store, namespace=None)).data.evil  # noqa: B018
    assert marker.exists()
