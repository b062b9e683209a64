"""Layered configuration, read at call time.

As Dask does it, a value of ``dflow.<key>`` comes from (lowest to highest precedence):

1. the built-in defaults in ``dflow/dflow.yaml`` (the only place a default is written);
2. YAML config files (``~/.config/dask/*.yaml``, ...);
3. the environment: ``DASK_DFLOW__STORE__URL=...`` and the ``DFLOW_*`` aliases of
   :data:`ENV_VARS` (an alias beats the ``DASK_DFLOW__`` form of its key);
4. code: ``dask.config.set({"dflow.store.url": ...})``;
5. explicit arguments and CLI flags (passed by the caller as ``override``).

Code is told from the environment by comparing ``dask.config`` with what its defaults,
files and ``DASK_*`` variables alone make of it (:func:`_environment_layer`).

Example::

    >>> from dflow.config import get
    >>> get("store.url", override="memory://x")
    'memory://x'
"""

from __future__ import annotations

import getpass
import json
import os
import threading
from pathlib import Path
from typing import Any

import dask.config
import yaml

from dflow.errors import ConfigError

_DEFAULTS_FILE = Path(__file__).with_name("dflow.yaml")
with _DEFAULTS_FILE.open() as _f:
    DEFAULTS: dict = yaml.safe_load(_f)
dask.config.update_defaults(DEFAULTS)

#: ``DFLOW_*`` environment variables and the config key each sets. ``json`` ones are parsed.
ENV_VARS: dict[str, tuple[str, bool]] = {
    "DFLOW_STORE": ("store.url", False),
    "DFLOW_STORE_OPTIONS": ("store.options", True),
    "DFLOW_SCHEDULER": ("scheduler", False),
    "DFLOW_MAX_WORKERS": ("max-workers", True),
    "DFLOW_HOME": ("home", False),
    "DFLOW_NAMESPACE": ("namespace", False),
    "DFLOW_TRUSTED": ("client.trusted", True),
    "DFLOW_CODE_CACHE": ("code-cache", False),
}
_KEY_TO_ENV = {key: (env, is_json) for env, (key, is_json) in ENV_VARS.items()}

_MISSING = object()
_layer_lock = threading.Lock()
_layer_cache: dict[tuple, dict] = {}


def get(key: str, *, override: Any = None) -> Any:
    """Return the value of ``dflow.<key>`` with every layer applied (module docstring).

    ``override`` (an explicit argument) wins when it is not ``None``. A key that is not in
    ``dflow.yaml`` is a programming error (``KeyError``): every default lives there.
    """
    if override is not None:
        return override
    if _default_of(key) is _MISSING:
        raise KeyError(f"dflow.{key} is not a key of dflow/dflow.yaml")
    value = dask.config.get(f"dflow.{key}", default=None)
    alias = _KEY_TO_ENV.get(key)
    if alias is None or _raw_alias(alias[0]) is None:
        return value
    environment = dask.config.get(f"dflow.{key}", default=None, config=_environment_layer())
    if value != environment:  # dask.config.set in code: above the environment
        return value
    return _parse_alias(key, *alias)


def _raw_alias(name: str) -> str | None:
    """The value of the ``DFLOW_*`` variable ``name``, or None when unset or empty."""
    raw = os.environ.get(name)
    return raw if raw not in (None, "") else None


def _parse_alias(key: str, name: str, is_json: bool) -> Any:
    raw = _raw_alias(name)
    if not is_json:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        # the value itself is never echoed: it may hold credentials
        raise ConfigError(
            f"{name} is not valid JSON: {exc.msg} at character {exc.pos} "
            f"(of {len(raw)}; the value is not shown, it may hold credentials)",
            hint=f'for example {name}=\'{{"endpoint_url": "http://127.0.0.1:9000"}}\''
            if key == "store.options"
            else None,
        ) from None


def _default_of(key: str) -> Any:
    node: Any = DEFAULTS["dflow"]
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _environment_layer() -> dict:
    """``dask.config`` as defaults, YAML files and ``DASK_*`` variables make it (no code).

    Rebuilt (files read again) only when a ``DASK_*`` variable changes.
    """
    dask_env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("DASK_")))
    with _layer_lock:
        layer = _layer_cache.get(dask_env)
        if layer is None:
            layer = {}
            dask.config.refresh(config=layer, env=dict(dask_env))
            _layer_cache.clear()
            _layer_cache[dask_env] = layer
        return layer


def user_name() -> str:
    """The user, as Metaflow names it: ``METAFLOW_USER``, ``USERNAME``, ``USER``, login.

    It names the default namespace (``user:<name>``) and is recorded with every run.
    """
    for var in ("METAFLOW_USER", "USERNAME", "USER"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name at all
        return "unknown"


def dflow_home(override: str | os.PathLike | None = None) -> Path:
    """The folder for per-user state (the recorded cluster): ``dflow.home`` (``DFLOW_HOME``)."""
    return Path(get("home", override=override)).expanduser()
