"""The forkserver's first import (:mod:`dflow.engine.forkserver`): the environment Dask
sets before it spawns a worker (``distributed.nanny.pre-spawn-environ``: one OpenMP, MKL
and OpenBLAS thread, malloc trimming), set here before numpy is imported, since the
workers forked from this process share its numpy. Read from distributed's defaults and
the user's Dask configuration, without importing distributed."""

from __future__ import annotations

import importlib.util
import os

import dask.config
import yaml


def apply_pre_spawn_environ() -> None:
    """Set ``distributed.nanny.pre-spawn-environ`` in this process's environment."""
    spec = importlib.util.find_spec("distributed")
    if spec is None or spec.origin is None:  # pragma: no cover - distributed is required
        return
    with open(os.path.join(os.path.dirname(spec.origin), "distributed.yaml")) as defaults:
        dask.config.update_defaults(yaml.safe_load(defaults))
    for name, value in (dask.config.get("distributed.nanny.pre-spawn-environ") or {}).items():
        os.environ[name] = str(value)


apply_pre_spawn_environ()
