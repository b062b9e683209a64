"""The check behind ``@pypi``/``@conda``: before any task, every package a step asks for
must be importable at its version where the tasks run.

dflow builds no environment per step (Metaflow's process-per-task runtime does; a Dask
worker is one long-lived process). So the run fails before it starts, naming each missing
or mismatched package and how to put it on the cluster; when all are there, it runs.
"""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from dflow.cloud_decorators import BASE_PACKAGES_ATTR
from dflow.errors import DflowError


class PackagesMissingError(DflowError):
    """A step's @pypi/@conda packages are not installed where its tasks run."""


def step_requirements(graph, flow_cls: type) -> dict[str, tuple[dict[str, str], str | None]]:
    """``step -> (packages, python)`` from @pypi/@conda and the flow's @pypi_base/@conda_base
    (a step's own version of a package wins over the base's)."""
    base = getattr(flow_cls, BASE_PACKAGES_ATTR, None) or {}
    found = {}
    for node in graph:
        spec = node.decorator("packages")
        own = dict(spec.options) if spec is not None else {}
        if own.get("disabled") or (not own and base.get("disabled")):
            continue
        packages = {**(base.get("packages") or {}), **(own.get("packages") or {})}
        python = own.get("python") or base.get("python")
        if packages or python:
            found[node.name] = (packages, python)
    return found


def installed(names: list[str]) -> dict[str, Any]:
    """What this process has: ``{name: version or None, "": python version}``."""
    found: dict[str, Any] = {"": platform.python_version()}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _fits(version: str | None, wanted: str) -> bool:
    if version is None:
        return False
    if not wanted:
        return True
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion

    text = wanted if wanted[0] in "<>=!~" else f"=={wanted}"
    try:
        return SpecifierSet(text).contains(version, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return version == wanted


def _python_fits(version: str, wanted: str | None) -> bool:
    if not wanted:
        return True
    if wanted[0] in "<>=!~":
        return _fits(version, wanted)
    return version == wanted or version.startswith(wanted + ".")


def check_packages(graph, flow_cls: type, executor: Any) -> None:
    """Raise PackagesMissingError unless every worker has what every step asks for."""
    needs = step_requirements(graph, flow_cls)
    if not needs:
        return
    names = sorted({name for packages, _ in needs.values() for name in packages})
    client = getattr(executor, "client", None)
    if client is None or getattr(executor, "in_process", False):
        where = {"this process": installed(names)}
    else:
        executor.wait_for_workers()  # a cluster still starting: ask its workers once up
        where = client.run(installed, names)
    problems = []
    for step, (packages, python) in needs.items():
        for worker, have in sorted(where.items()):
            for name, wanted in sorted(packages.items()):
                if not _fits(have.get(name), wanted):
                    got = have.get(name)
                    problems.append(
                        (
                            step,
                            f"{name}{'==' if wanted and wanted[0].isdigit() else ''}{wanted}",
                            f"{'missing' if got is None else f'found {got}'} on {worker}",
                        )
                    )
            if not _python_fits(have[""], python):
                problems.append((step, f"python {python}", f"found {have['']} on {worker}"))
    if problems:
        listed = "; ".join(f"step {s!r} needs {what} ({why})" for s, what, why in problems)
        wanted = sorted({what for _, what, _ in problems if not what.startswith("python ")})
        raise PackagesMissingError(
            f"@pypi/@conda packages are not installed where the tasks run: {listed}",
            hint="dflow builds no per-step environment: install them on the workers, e.g. "
            "client.register_plugin(distributed.diagnostics.plugin.PipInstall("
            f"{wanted!r})), or build the worker image in deploy/ with them "
            "(then re-run); for --scheduler sync, pip install them here",
        )
