"""deploy/: every file parses, is documented, and agrees with pyproject.toml."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
YAML_FILES = sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml"))


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _readme_section(title: str) -> str:
    text = (DEPLOY / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"deploy/README.md has no '## {title}' section"
    return match.group(1)


def _table_names(section: str) -> list[str]:
    return re.findall(r"^\| `([^`]+)` \|", section, re.M)


def _dockerfile_install() -> tuple[list[str], dict[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.M))
    lines = [ln for ln in text.splitlines() if ln.startswith("RUN pip install")]
    assert len(lines) == 1, "the Dockerfile should have exactly one `RUN pip install` line"
    words = shlex.split(lines[0])[3:]
    return [w for w in words if not w.startswith("-")], args


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_parses(path):
    docs = list(yaml.safe_load_all(path.read_text()))
    assert docs and all(isinstance(d, dict) for d in docs)


def test_every_file_is_documented():
    intro = (DEPLOY / "README.md").read_text().split("\n## ")[0]  # the table before any section
    table = _table_names(intro)
    files = {str(p.relative_to(DEPLOY)) for p in DEPLOY.rglob("*") if p.is_file()}
    assert set(table) == files


def test_dockerfile_installs_this_package_with_the_pyproject_dask_versions():
    packages, args = _dockerfile_install()
    requirements = [
        Requirement(p.replace("${DASK_VERSION}", args["DASK_VERSION"]))
        if "@" not in p
        else Requirement(p)
        for p in packages
    ]
    by_name = {r.name: r for r in requirements}
    project = _pyproject()["project"]
    assert project["name"] in by_name and "s3" in by_name[project["name"]].extras
    declared = {r.name: r for r in map(Requirement, project["dependencies"])}
    for name in ("dask", "distributed"):
        pinned = by_name[name]
        assert str(pinned.specifier).startswith("=="), f"{name} is not pinned in the Dockerfile"
        version = str(pinned.specifier)[2:]
        assert declared[name].specifier.contains(version), (name, version)
        assert pinned.extras >= declared[name].extras
    assert str(by_name["dask"].specifier) == str(by_name["distributed"].specifier)
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.findall(r"^FROM .*$", text, re.M) == ["FROM python:3.11-slim"]
    assert re.search(r'^ENTRYPOINT \["dask"\]$', text, re.M)


def test_compose_services_are_the_documented_ones():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    documented = _table_names(_readme_section("compose.yaml"))
    assert sorted(compose["services"]) == sorted(documented)
    services = compose["services"]
    assert services["worker"]["deploy"]["replicas"] == 2
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
    for name in ("scheduler", "worker"):
        env = services[name]["environment"]
        assert env["DFLOW_STORE"].startswith("s3://")
        assert "endpoint_url" in env["DFLOW_STORE_OPTIONS"]
    assert "tcp://scheduler:8786" in services["worker"]["command"]


def test_daskcluster_has_what_the_operator_requires():
    manifest = yaml.safe_load((DEPLOY / "kubernetes" / "daskcluster.yaml").read_text())
    assert manifest["apiVersion"] == "kubernetes.dask.org/v1"
    assert manifest["kind"] == "DaskCluster"
    name = manifest["metadata"]["name"]
    spec = manifest["spec"]
    worker, scheduler = spec["worker"], spec["scheduler"]
    assert isinstance(worker["replicas"], int) and worker["replicas"] >= 1
    for role in (worker, scheduler):
        containers = role["spec"]["containers"]
        assert containers and all(c["name"] and c["image"] for c in containers)
        assert all(c["image"].split(":")[0].endswith("dflow") for c in containers)
    assert worker["spec"]["containers"][0]["args"][0] == "worker"
    assert scheduler["spec"]["containers"][0]["args"][0] == "scheduler"
    service = scheduler["service"]
    assert service["selector"] == {"dask.org/cluster-name": name, "dask.org/component": "scheduler"}
    ports = {p["name"]: p for p in service["ports"]}
    assert ports["tcp-comm"]["port"] == 8786 and "http-dashboard" in ports
    container_ports = {p["name"] for p in scheduler["spec"]["containers"][0]["ports"]}
    assert {p["targetPort"] for p in service["ports"]} <= container_ports


def test_readme_tells_how_to_point_dflow_at_each_cluster():
    text = (DEPLOY / "README.md").read_text()
    assert "DFLOW_SCHEDULER=tcp://" in _readme_section("kubernetes/daskcluster.yaml")
    assert "DFLOW_SCHEDULER=tcp://127.0.0.1:8786" in _readme_section("compose.yaml")
    assert "dflow cluster up --ssh" in _readme_section("SSH")
    assert "pip install asyncssh" in text
