"""Store I/O failures, said as one sentence: the operation, the store, the cause, a hint.

fsspec backends fail in their own words (aiohttp, botocore, OSError), often as a chain of
exceptions several frames deep. :func:`store_failure` walks that chain and names the
cause a user can act on: an unreachable endpoint (connection refused, DNS), a timeout, a
missing bucket, denied access or missing credentials. Store URLs are shown without any
credentials they hold (``s3://key:secret@bucket`` becomes ``s3://bucket``), and no
storage option is ever echoed.

:class:`GuardedIO` wraps a backend so that every primitive raises
:class:`~dflow.errors.StoreIOError` (a StoreError) instead of a backend's own exception;
``FileNotFoundError`` and ``FileExistsError`` pass through, since callers treat "absent"
and "already there" as answers, not failures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dflow import config
from dflow.errors import StoreIOError
from dflow.store.iolimits import bounds

_CREDENTIALS_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*://)[^/@]*@")

#: Exception class names (anywhere in an exception's MRO) and the cause they mean.
_UNREACHABLE = {
    "EndpointConnectionError",
    "ClientConnectorError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "ServerDisconnectedError",
    "ConnectionClosedError",
    "gaierror",
}
_TIMEOUT = {
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "TimeoutError",
    "FSTimeoutError",
    "ServerTimeoutError",
    "timeout",
}
_DENIED_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"}


def safe_url(url: str) -> str:
    """``url`` without credentials: ``s3://key:secret@bucket/p`` -> ``s3://bucket/p``."""
    return _CREDENTIALS_RE.sub(r"\1", str(url))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen or len(seen) > 20:
            continue
        seen.add(id(e))
        yield e
        todo += [e.__cause__, e.__context__, getattr(e, "kwargs", {}).get("error")]


def _names(e: BaseException) -> set[str]:
    return {c.__name__ for c in type(e).__mro__}


def _code(e: BaseException) -> str:
    response = getattr(e, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        return str(error.get("Code", ""))
    return ""


def classify(exc: BaseException, endpoint: str = "", protocol: str = "") -> tuple[str, str]:
    """``(cause, hint)`` of a backend failure, for a user (never the raw chain).

    ``protocol`` is the store's (``"s3"``, ``"file"``...; ``""``: not known): a timeout
    names ``dflow.store.io-timeout`` only where that bounds the wait (s3://).

    >>> classify(TimeoutError(110, "Connection timed out"), protocol="file")[0]
    'the store did not answer in time (a local folder has no dflow timeout)'
    """
    chain = list(_chain(exc))
    where = f"the endpoint {safe_url(endpoint)}" if endpoint else "the store's server"
    timeout = config.get("store.io-timeout")
    for e in chain:
        names = _names(e)
        if names & _UNREACHABLE or isinstance(e, ConnectionError):
            refused = any(isinstance(x, ConnectionRefusedError) for x in chain)
            return (
                f"{where} is unreachable" + (" (connection refused)" if refused else ""),
                "check that the server is up and the endpoint_url (DFLOW_STORE_OPTIONS) is "
                "right; a run cut off by it can be finished later with `resume`",
            )
    for e in chain:
        if _names(e) & _TIMEOUT and (bounds(protocol) or (endpoint and not protocol)):
            return (
                f"{where} did not answer in time"
                + (f" (store.io-timeout is {timeout} s)" if timeout else ""),
                "check the network and the server; raise dflow.store.io-timeout "
                "(DASK_DFLOW__STORE__IO_TIMEOUT) for a slow one",
            )
        if _names(e) & _TIMEOUT:
            local = protocol in ("file", "local")
            return (
                "the store did not answer in time"
                + (" (a local folder has no dflow timeout)" if local else ""),
                "a network mount or server that stopped answering: check it "
                "(dflow.store.io-timeout bounds only s3:// stores; other fsspec backends "
                "take their own timeout in the storage options)",
            )
    for e in chain:
        if "NoCredentialsError" in _names(e):
            return (
                "no credentials were found for the store",
                "set key and secret in DFLOW_STORE_OPTIONS, or the usual AWS variables",
            )
    for e in chain:
        code = _code(e)
        if code == "NoSuchBucket" or "bucket does not exist" in str(e).lower():
            return (
                "its bucket does not exist",
                "create the bucket, or fix the bucket name in the store URL",
            )
        if code in _DENIED_CODES or isinstance(e, PermissionError):
            return (
                "access was denied",
                "check the credentials (DFLOW_STORE_OPTIONS) and their permissions on the bucket",
            )
    return (
        f"{type(exc).__name__}: {exc}",
        "check that the store is reachable and writable",
    )


def store_failure(op: str, url: str, exc: BaseException, path: str = "", endpoint: str = ""):
    """The StoreIOError for ``op`` (e.g. ``"read"``) of ``path`` in the store at ``url``."""
    protocol = url.split("://", 1)[0] if "://" in str(url) else "file"
    cause, hint = classify(exc, endpoint, protocol)
    what = f"{op} {path}" if path else op
    return StoreIOError(
        f"store {what} failed in the store at {safe_url(url)}: {cause}",
        hint=hint,
        operation=op,
        cause=cause,
    )


class GuardedIO:
    """A store backend whose primitives raise StoreIOError instead of backend errors.

    Everything else (``root``, ``full``, ``local``, ``check_writable``...) is the wrapped
    backend's own.
    """

    _OPS = {
        "read": "read",
        "write": "write",
        "create": "create",
        "put_once": "write",
        "exists": "lookup",
        "ls": "listing",
        "find": "listing",
        "find_detail": "listing",
        "read_many": "read",
        "rm": "removal",
    }

    def __init__(self, inner: Any, url: str, endpoint: str = "") -> None:
        self._inner, self._url, self._endpoint = inner, url, endpoint

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        op = self._OPS.get(name)
        if op is None:
            return value

        def guarded(rel: str, *args: Any, **kwargs: Any) -> Any:
            try:
                return value(rel, *args, **kwargs)
            except (FileNotFoundError, FileExistsError, StoreIOError):
                raise
            except Exception as exc:  # noqa: BLE001 - any backend failure, said once
                if type(exc).__module__.startswith("dflow."):
                    raise
                raise store_failure(op, self._url, exc, rel, self._endpoint) from None

        return guarded
