"""Finding the store root and opening its fsspec filesystem.

The root comes from, in order: an explicit argument, ``DFLOW_STORE`` / the dask config
key ``dflow.store.url``, and else a ``.dflow`` folder found by walking up from the working
directory (like git finds ``.git``); when none exists, ``<cwd>/.dflow``. Local roots are
always returned as absolute paths (never ``file://`` URLs).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fsspec.core import url_to_fs
from fsspec.registry import known_implementations

from dflow import config
from dflow.errors import BackendMissingError, ConfigError, StoreError
from dflow.store.failures import classify, safe_url
from dflow.store.iolimits import s3fs_retries, with_io_limits
from dflow.store.ioloops import start_fsspec_loop

STORE_DIRNAME = ".dflow"

#: Packages that provide a protocol, with the extra of dflow that installs them.
_INSTALL_HINTS = {
    "s3": ("s3fs", "pip install 'dflow[s3]'"),
    "s3a": ("s3fs", "pip install 'dflow[s3]'"),
    "gs": ("gcsfs", "pip install gcsfs"),
    "gcs": ("gcsfs", "pip install gcsfs"),
    "abfs": ("adlfs", "pip install adlfs"),
    "az": ("adlfs", "pip install adlfs"),
}


def protocol_of(url: str) -> str:
    """The fsspec protocol of a URL (``"file"`` for plain paths)."""
    if "://" not in url:
        return "file"
    return url.split("://", 1)[0].lower()


def _find_dflow_dir(start: Path) -> Path:
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / STORE_DIRNAME
        if candidate.is_dir():
            return candidate
    return start / STORE_DIRNAME


def resolve_store_url(url: str | None = None, *, start: Path | None = None) -> str:
    """Return the store root URL: argument, else config, else the nearest ``.dflow`` folder.

    Local roots (plain paths and ``file://`` URLs) come back as absolute paths.

    >>> resolve_store_url("memory://tests")
    'memory://tests'
    """
    value = config.get("store.url", override=url)
    if value is not None and not isinstance(value, str | os.PathLike):
        raise ConfigError(f"store.url must be a string, got {value!r}")
    if value in (None, ""):
        return str(_find_dflow_dir(Path(start) if start else Path.cwd()))
    value = os.fspath(value)
    proto = protocol_of(value)
    if proto in ("file", "local"):
        path = value.split("://", 1)[1] if "://" in value else value
        return str(Path(path).expanduser().resolve())
    return value.rstrip("/")


def resolve_options(options: dict | None) -> dict:
    """Return fsspec storage options: argument, else ``DFLOW_STORE_OPTIONS`` / config."""
    value = config.get("store.options", override=options)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(
            f"store options must be a JSON object (a dict), got a {type(value).__name__}",
            hint='for example DFLOW_STORE_OPTIONS=\'{"endpoint_url": "http://127.0.0.1:9000"}\'',
        )
    return dict(value)


def backend_missing(proto: str, exc: BaseException | None = None) -> BackendMissingError:
    """The error for a protocol whose fsspec backend is unknown or not installed."""
    if proto in _INSTALL_HINTS:
        package, how = _INSTALL_HINTS[proto]
        return BackendMissingError(
            f"install {package} to use {proto}:// stores: {how}",
            hint=f"the {proto}:// backend could not be imported ({exc})" if exc else None,
        )
    known = known_implementations.get(proto)
    if known is not None:
        return BackendMissingError(
            f"the fsspec backend for {proto}:// stores is not installed: {known.get('err', exc)}",
            hint=f"install the package that provides {proto}:// for fsspec",
        )
    return BackendMissingError(
        f"unknown store protocol {proto!r}: no fsspec backend is registered for {proto}://",
        hint="use a local path, memory://, s3://bucket/prefix or another fsspec URL",
    )


def make_filesystem(url: str, options: dict) -> tuple[Any, str]:
    """Return ``(filesystem, root path)`` for a resolved store URL, with clear errors."""
    proto = protocol_of(url)
    if proto not in ("file", "local"):
        start_fsspec_loop()  # an async backend's loop must not keep a task's context
    try:
        fs, root = url_to_fs(url, **with_io_limits(proto, options))
        if proto in ("s3", "s3a"):
            fs.retries = s3fs_retries()
    except ImportError as exc:
        raise backend_missing(proto, exc) from None
    except ValueError as exc:
        if "protocol" in str(exc).lower():
            raise backend_missing(proto) from None
        raise ConfigError(f"invalid storage options for {proto}:// stores: {exc}") from None
    except TypeError as exc:
        raise ConfigError(f"invalid storage options for {proto}:// stores: {exc}") from None
    return fs, str(root).rstrip("/") or "/"


def check_root(fs: Any, root: str, url: str, *, writable: bool = True) -> None:
    """Make sure the root exists and can be used, else StoreError.

    A writable store's local root is created if absent and must be readable and writable;
    a read-only store's root must already exist and be readable (a read-only mount or
    another user's ``.dflow`` folder can be inspected).
    """
    if protocol_of(url) == "file":
        try:
            _check_local_root(root, writable)
        except OSError as exc:
            raise StoreError(
                f"cannot open the store at {url}: {type(exc).__name__}: {exc}",
                hint="check the path, and your permissions on the folder",
            ) from None
        return
    try:
        bucket = root.split("/", 1)[0]
        if protocol_of(url) in ("s3", "s3a", "gs", "gcs"):
            try:  # info() raises what went wrong (exists() would say False to anything)
                fs.info(bucket)
            except FileNotFoundError:
                raise FileNotFoundError(f"bucket {bucket!r} does not exist") from None
        fs.exists(root)
    except Exception as exc:  # any backend failure: the store is unusable, say so
        endpoint = str(getattr(fs, "endpoint_url", "") or "")
        cause, hint = classify(exc, endpoint, protocol_of(url))
        raise StoreError(f"cannot open the store at {safe_url(url)}: {cause}", hint=hint) from None


def _check_local_root(root: str, writable: bool) -> None:
    if writable:
        os.makedirs(root, exist_ok=True)
        if not os.access(root, os.R_OK | os.W_OK | os.X_OK):
            raise PermissionError(f"no read/write permission on {root}")
        return
    if not os.path.isdir(root):
        raise FileNotFoundError(f"no store folder at {root}")
    if not os.access(root, os.R_OK | os.X_OK):
        raise PermissionError(f"no read permission on {root}")
