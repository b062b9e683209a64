"""dflow's configuration as Dask does it, and its defaults kept in step with the code.

Lowest to highest precedence: dflow/dflow.yaml, YAML files, the environment (DASK_DFLOW__*
and the DFLOW_* aliases), ``dask.config.set`` in code, explicit arguments. Like Dask's own
config tests, every key the code reads has its default in dflow.yaml and nowhere else.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import dask.config
import pytest
import yaml

from dflow import config

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dflow"


@pytest.fixture(autouse=True)
def _no_aliases(monkeypatch):
    for name in config.ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def test_the_default_comes_from_dflow_yaml():
    assert config.get("heartbeat.interval") == 5
    assert config.get("scheduler") is None
    assert config.dflow_home() == Path("~/.dflow").expanduser()


def test_the_environment_beats_the_defaults(monkeypatch):
    monkeypatch.setenv("DFLOW_SCHEDULER", "tcp://from-env:8786")
    monkeypatch.setenv("DFLOW_MAX_WORKERS", "3")
    assert config.get("scheduler") == "tcp://from-env:8786"
    assert config.get("max-workers") == 3


def test_code_beats_the_environment(monkeypatch):
    monkeypatch.setenv("DFLOW_SCHEDULER", "tcp://from-env:8786")
    with dask.config.set({"dflow.scheduler": "sync"}):
        assert config.get("scheduler") == "sync"
        with dask.config.set({"dflow.max-workers": 2}):  # another key: the alias still wins
            assert config.get("scheduler") == "sync"
    assert config.get("scheduler") == "tcp://from-env:8786"


def test_an_argument_beats_code_and_environment(monkeypatch):
    monkeypatch.setenv("DFLOW_SCHEDULER", "tcp://from-env:8786")
    with dask.config.set({"dflow.scheduler": "sync"}):
        assert config.get("scheduler", override="tcp://arg:1") == "tcp://arg:1"


def test_dask_environment_variables_are_the_environment_layer(monkeypatch):
    # DASK_* variables are read by dask.config.refresh, as Dask reads them at import
    monkeypatch.setenv("DASK_DFLOW__HEARTBEAT__TIMEOUT", "7")
    try:
        dask.config.refresh()
        assert config.get("heartbeat.timeout") == 7
        monkeypatch.setenv("DFLOW_SCHEDULER", "tcp://alias:1")
        monkeypatch.setenv("DASK_DFLOW__SCHEDULER", "tcp://dask-form:1")
        dask.config.refresh()
        assert config.get("scheduler") == "tcp://alias:1"  # the alias beats the DASK_ form
        with dask.config.set({"dflow.heartbeat.timeout": 9}):
            assert config.get("heartbeat.timeout") == 9
    finally:
        monkeypatch.undo()
        dask.config.refresh()
    assert config.get("heartbeat.timeout") == 60


def test_a_key_without_a_default_is_a_programming_error():
    with pytest.raises(KeyError, match="dflow.no-such-key"):
        config.get("no-such-key")


def _yaml_keys(node: dict, prefix: str = "") -> set[str]:
    keys = set()
    for name, value in node.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and value:
            keys |= _yaml_keys(value, f"{key}.")
        else:
            keys.add(key)
    return keys


def _string_constants() -> set[str]:
    """Every string literal of dflow/'s code (a key may reach ``config.get`` via a helper)."""
    return {
        node.value
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def _keys_read_by_the_code() -> dict[str, list[str]]:
    """Every ``config.get("key")`` / ``get("key")`` call of dflow/, by key.

    A call with a second positional argument (a default restated in code) fails the scan.
    """
    found: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            is_get = (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and isinstance(func.value, ast.Name)
                and func.value.id == "config"
            ) or (path.name == "config.py" and isinstance(func, ast.Name) and func.id == "get")
            first = node.args[0]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if is_get:
                assert len(node.args) == 1, f"{where} restates a default (it is in dflow.yaml)"
            if is_get and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, []).append(where)
    return found


def test_every_key_the_code_reads_has_its_default_in_dflow_yaml():
    defaults = _yaml_keys(yaml.safe_load((PACKAGE / "dflow.yaml").read_text())["dflow"])
    read = _keys_read_by_the_code()
    assert read, "the scan found no config.get calls"
    missing = {key: where for key, where in read.items() if key not in defaults}
    assert not missing, f"keys read without a default in dflow.yaml: {missing}"
    unused = defaults - set(read) - _string_constants()
    assert not unused, f"defaults in dflow.yaml that no code reads: {sorted(unused)}"


def test_every_alias_names_a_key_and_is_documented_in_readme():
    defaults = _yaml_keys(yaml.safe_load((PACKAGE / "dflow.yaml").read_text())["dflow"])
    readme = (ROOT / "README.md").read_text()
    for name, (key, _) in config.ENV_VARS.items():
        assert key in defaults, f"{name} aliases {key}, which dflow.yaml does not define"
        assert re.search(rf"^\| `{name}` \|", readme, re.M), f"README's table lacks {name}"
