"""Metaflow's cloud and environment decorators, in their Dask meaning.

- ``@kubernetes(cpu=, memory=, gpu=, ...)`` and ``@batch(...)`` are resource requests:
  ``cpu``, ``memory`` and ``gpu`` become the step's ``@resources`` (the larger value wins
  where both are given, as in Metaflow); every other option (image, queue, secrets...)
  has no meaning on a Dask cluster and is ignored with one warning.
- ``@pypi(packages={...}, python=None)``, ``@conda(packages=, libraries=, python=)`` and
  the flow-level ``@pypi_base`` / ``@conda_base`` name what a step needs installed.
  dflow builds no environment per step: before any task runs it checks that the
  workers (``--scheduler sync``: this process) have each package at the requested
  version, and fails naming the missing ones and how to put them on the cluster.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from dflow.decorators import DECORATORS_ATTR, make_spec
from dflow.errors import DflowError

_RESOURCE_KEYS = ("cpu", "memory", "gpu")
BASE_PACKAGES_ATTR = "_dflow_base_packages"


def merge_resources(func: Callable, options: dict[str, Any]) -> None:
    """Record ``options`` as the function's @resources, keeping the larger of each value."""
    specs = list(getattr(func, DECORATORS_ATTR, ()))
    current = next((s for s in specs if s.name == "resources"), None)
    merged = dict(current.options) if current is not None else {}
    for key, value in options.items():
        if key in merged and isinstance(merged[key], (int, float)):
            merged[key] = max(merged[key], value)
        else:
            merged[key] = value
    specs = [s for s in specs if s.name != "resources"]
    specs.append(make_spec("resources", merged, line=func.__code__.co_firstlineno))
    setattr(func, DECORATORS_ATTR, tuple(specs))


def _cloud(name: str) -> Callable:
    def decorator(func: Callable | None = None, /, **options: Any) -> Callable:
        if func is None:
            return lambda f: decorator(f, **options)
        if not callable(func) or not hasattr(func, "__code__"):
            raise DflowError(f"@{name} decorates a step, got {func!r}")
        asked = {k: options[k] for k in _RESOURCE_KEYS if options.get(k) is not None}
        ignored = sorted(k for k in options if k not in _RESOURCE_KEYS)
        if ignored:
            warnings.warn(
                f"@{name} on step {func.__name__!r}: dflow runs on Dask and ignores "
                f"{', '.join(ignored)}; cpu, memory and gpu become @resources",
                stacklevel=2,
            )
        memory = asked.get("memory")
        if isinstance(memory, str):  # Metaflow accepts "4096"
            asked["memory"] = float(memory)
        cpu = asked.get("cpu")
        if isinstance(cpu, str):
            asked["cpu"] = float(cpu)
        merge_resources(func, asked)
        return func

    decorator.__name__ = decorator.__qualname__ = name
    decorator.__doc__ = (
        f"``@{name}(cpu=, memory=, gpu=, ...)``: a resource request on Dask (the other "
        "options are ignored with a warning)."
    )
    return decorator


kubernetes = _cloud("kubernetes")
batch = _cloud("batch")


def _packages(kind: str, packages: Any, libraries: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for given in (packages, libraries):
        if given is None:
            continue
        if not isinstance(given, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in given.items()
        ):
            raise DflowError(
                f"@{kind}(packages=...) takes a dict of package name to version string",
                hint=f'write @{kind}(packages={{"pandas": "2.2.3"}})',
            )
        found.update(given)
    return found


def _environment(kind: str) -> Callable:
    def decorator(
        func: Callable | None = None,
        /,
        *,
        packages: dict | None = None,
        libraries: dict | None = None,
        python: str | None = None,
        disabled: bool = False,
        **ignored: Any,
    ) -> Callable:
        wanted = _packages(kind, packages, libraries)

        def apply(f: Callable) -> Callable:
            options = {"packages": wanted, "python": python, "disabled": bool(disabled)}
            specs = list(getattr(f, DECORATORS_ATTR, ()))
            specs = [s for s in specs if s.name != "packages"]
            specs.append(make_spec("packages", options, line=f.__code__.co_firstlineno))
            setattr(f, DECORATORS_ATTR, tuple(specs))
            return f

        return apply(func) if func is not None else apply

    decorator.__name__ = decorator.__qualname__ = kind
    decorator.__doc__ = (
        f"``@{kind}(packages={{name: version}}, python=None)``: packages the step needs; "
        "checked on the workers before the run starts."
    )
    return decorator


def _environment_base(kind: str) -> Callable:
    def decorator(
        cls: type | None = None,
        /,
        *,
        packages: dict | None = None,
        libraries: dict | None = None,
        python: str | None = None,
        disabled: bool = False,
        **ignored: Any,
    ) -> Any:
        wanted = _packages(kind, packages, libraries)

        def apply(flow_cls: type) -> type:
            spec = {"packages": wanted, "python": python, "disabled": bool(disabled)}
            setattr(flow_cls, BASE_PACKAGES_ATTR, spec)
            return flow_cls

        return apply(cls) if cls is not None else apply

    decorator.__name__ = decorator.__qualname__ = f"{kind}_base"
    decorator.__doc__ = f"Flow-level ``@{kind}_base(packages=...)``: packages every step needs."
    return decorator


pypi = _environment("pypi")
conda = _environment("conda")
pypi_base = _environment_base("pypi")
conda_base = _environment_base("conda")
