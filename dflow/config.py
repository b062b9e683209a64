"""Layered configuration, read at call time.

Following Dask's conventions, a value comes from (lowest to highest precedence):

1. the built-in defaults in ``dflow/dflow.yaml``;
2. ``dask.config`` under the ``dflow`` key (``~/.config/dask/*.yaml``,
   ``DASK_DFLOW__STORE__URL=...`` environment variables, ``dask.config.set``);
3. ``DFLOW_*`` environment variables (see :data:`ENV_VARS`);
4. explicit arguments and CLI flags (passed by the caller as ``override``).

Example::

    >>> from dflow.config import get
    >>> get("store.url", override="memory://x")
    'memory://x'
"""

from __future__ import annotations

import getpass
import json
import os
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


def get(key: str, default: Any = None, *, override: Any = None) -> Any:
    """Return the value of ``dflow.<key>`` with every layer applied.

    ``override`` (an explicit argument) wins when it is not ``None``; then the ``DFLOW_*``
    variable for the key, then ``dask.config``, then the built-in default, then ``default``.
    """
    if override is not None:
        return override
    env = _KEY_TO_ENV.get(key)
    if env is not None:
        name, is_json = env
        raw = os.environ.get(name)
        if raw not in (None, ""):
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
    value = dask.config.get(f"dflow.{key}", default=_MISSING)
    if value is _MISSING or value is None:
        return default
    return value


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
    """The folder for per-user state (the recorded cluster): ``DFLOW_HOME`` or ``~/.dflow``."""
    value = get("home", override=override)
    return Path(value).expanduser() if value else Path.home() / ".dflow"
