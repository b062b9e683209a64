"""Bounded store I/O: timeouts and retries applied to the filesystems dflow opens.

``dflow.store.io-timeout`` (seconds, default 20) bounds connecting to the store's server
and waiting for each answer; ``dflow.store.io-retries`` (default 3) is how many attempts
one request gets. A store that goes away therefore fails an operation after roughly
``io-retries x io-timeout`` seconds plus botocore's short backoff (immediately when the
connection is refused), and a
run whose store is gone ends instead of hanging. For ``s3://`` they become botocore's
``connect_timeout``/``read_timeout``/``retries`` (s3fs ``config_kwargs``) unless the
storage options already set them. Other protocols are left as they are: an fsspec
backend's own timeouts apply (set them in the storage options, as the backend documents),
and a local folder has none at all: its reads and writes are system calls the operating
system answers, so a folder on a hard-mounted network share that stops answering blocks
until it answers again (a ``soft`` mount makes them fail, each as one dflow error line).

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


def bounds(protocol: str) -> bool:
    """True if ``dflow.store.io-timeout`` and ``io-retries`` apply to ``protocol``.

    >>> bounds("s3"), bounds("file"), bounds("gcs")
    (True, False, False)
    """
    return protocol in _S3


def with_io_limits(protocol: str, options: dict) -> dict:
    """``options`` plus the configured timeouts and retries for ``protocol``'s backend."""
    if not bounds(protocol):
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
    """How many times s3fs's own loop tries a request: once. botocore already makes the
    ``io-retries`` attempts (:func:`with_io_limits`); s3fs's loop around it would make
    ``io-retries`` squared, and a silent server would take that many timeouts to fail."""
    return 1
