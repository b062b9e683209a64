"""Bounded store I/O: timeouts and retries applied to the filesystems dflow opens.

``dflow.store.io-timeout`` (seconds, default 20) bounds connecting to the store's server
and waiting for each answer; ``dflow.store.io-retries`` (default 3) is how many attempts
one request gets. A store that goes away therefore fails an operation after roughly
``io-retries x io-timeout`` seconds (immediately when the connection is refused), and a
run whose store is gone ends instead of hanging. For ``s3://`` they become botocore's
``connect_timeout``/``read_timeout``/``retries`` (s3fs ``config_kwargs``) unless the
storage options already set them; other protocols are left as they are.

These derived options are never stored in the store's own options (nor anywhere they
would travel): they are applied where a filesystem is created.
"""

from __future__ import annotations

from dflow import config
from dflow.errors import ConfigError

_S3 = ("s3", "s3a")


def _number(key: str) -> float:
    value = config.get(key)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"dflow.{key} must be a number, got a {type(value).__name__}") from None
    if number <= 0:
        raise ConfigError(f"dflow.{key} must be positive, got {number}")
    return number


def io_timeout() -> float:
    """``dflow.store.io-timeout`` in seconds."""
    return _number("store.io-timeout")


def with_io_limits(protocol: str, options: dict) -> dict:
    """``options`` plus the configured timeouts and retries for ``protocol``'s backend."""
    if protocol not in _S3:
        return dict(options)
    timeout = io_timeout()
    attempts = max(1, int(_number("store.io-retries")))
    out = dict(options)
    kwargs = dict(out.get("config_kwargs") or {})
    kwargs.setdefault("connect_timeout", timeout)
    kwargs.setdefault("read_timeout", timeout)
    kwargs.setdefault("retries", {"total_max_attempts": attempts, "mode": "standard"})
    out["config_kwargs"] = kwargs
    return out


def s3fs_retries() -> int:
    """How many times s3fs itself retries a request that failed in a retryable way."""
    return max(1, int(_number("store.io-retries")))
