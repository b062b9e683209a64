"""Which store the client reads and which namespace it sees.

A :class:`ClientContext` holds both. Client objects (:class:`~dflow.client.Flow`,
:class:`~dflow.client.Run`, ...) take one with ``context=``; without it they use the
process-wide default, which :func:`namespace`, :func:`default_namespace` and
:func:`set_store` change (as Metaflow's module-level functions do).

Namespaces follow Metaflow: the default is ``user:<name>`` (``METAFLOW_USER``,
``USERNAME`` or ``USER``), unless ``dflow.config.get("namespace")`` /
``DFLOW_NAMESPACE`` says otherwise; ``namespace(None)`` sees every run. A run belongs to
the namespace ``user:<its user>`` and to one namespace per tag.

Example::

    from dflow.client import namespace, get_namespace
    namespace("team:vision")     # only runs tagged team:vision
    namespace(None)              # every run
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from dflow import config
from dflow.client.trust import resolve_trusted
from dflow.config import user_name
from dflow.errors import StoreError
from dflow.store import Store, open_store, resolve_store_url
from dflow.store.location import protocol_of

#: Marks "not chosen yet": the default namespace is read at call time.
_DEFAULT = object()


def resolve_default_namespace() -> str:
    """``DFLOW_NAMESPACE`` / ``dflow.namespace`` if set, else ``user:<name>``."""
    value = config.get("namespace")
    return str(value) if value else f"user:{user_name()}"


def run_namespaces(record: dict, tags: Iterable[str] | None = None) -> frozenset[str]:
    """The namespaces a run belongs to: its user (from its run.json record) and its tags.

    ``tags`` are the run's tags (:meth:`dflow.store.Store.run_tags`); None takes the
    record's own ``"tags"`` (the tags the run started with).
    """
    found = set(record.get("tags") or ()) if tags is None else set(tags)
    if record.get("namespace"):
        found.add(str(record["namespace"]))
    if record.get("user"):
        found.add(f"user:{record['user']}")
    return frozenset(found)


def system_tags(record: dict) -> frozenset[str]:
    """The system tags of a run, from its record (Metaflow's ``user:``, ``runtime:``,
    ``python_version:``; ``dflow_version:`` in place of ``metaflow_version:``)."""
    found = {"runtime:dflow"}
    if record.get("user"):
        found.add(f"user:{record['user']}")
    versions = record.get("versions") or {}
    if versions.get("python"):
        found.add(f"python_version:{versions['python']}")
    if versions.get("dflow"):
        found.add(f"dflow_version:{versions['dflow']}")
    project = record.get("project")
    if project:
        found.update({f"project:{project['name']}", f"project_branch:{project['branch']}"})
    return frozenset(found)


class ClientContext:
    """A store (opened lazily) and a namespace, shared by the client objects built from it.

    ``store`` is a :class:`~dflow.store.Store` or a URL (``None``: ``DFLOW_STORE`` or the
    nearest ``.dflow`` folder, see :func:`dflow.store.open_store`); ``namespace`` is a
    namespace string, ``None`` for all namespaces, or left out for the default.
    ``trusted`` says whether pickled artifacts may be loaded (unpickling runs code):
    ``None`` takes ``dflow.client.trusted`` / ``DFLOW_TRUSTED`` (default False, see
    :mod:`dflow.client.trust`); a Store passed in keeps its own trust.
    """

    def __init__(
        self,
        store: Store | str | None = None,
        options: dict | None = None,
        namespace: Any = _DEFAULT,
        *,
        trusted: bool | None = None,
    ) -> None:
        self._trusted = trusted
        self._store = store if isinstance(store, Store) else None
        self._given = isinstance(store, Store)
        self._writable: Store | None = None
        self._url = None if isinstance(store, Store) else store
        self._options = options
        self._namespace = namespace

    def __repr__(self) -> str:
        where = self._store.url if self._store is not None else (self._url or "<default>")
        return f"ClientContext(store={where!r}, namespace={self.namespace!r})"

    @property
    def store(self) -> Store:
        """The store, opened on first use (StoreError if it cannot be opened).

        The client only reads: the store is opened read-only (``writable=False``: read
        permission is enough, a read-only mount or another user's store can be inspected),
        and a local store folder that does not exist is an error, not an empty history.
        A :class:`~dflow.store.Store` passed in is used as it is. Left to the usual
        resolution (``DFLOW_STORE``, the nearest ``.dflow``), the store is found again at
        each use, so a notebook that changes ``DFLOW_STORE`` or its folder follows.
        """
        if self._store is not None and self._url is None and not self._given:
            if resolve_store_url(None) != self._store.url:
                self._store = self._writable = None
        if self._store is None:
            url = resolve_store_url(self._url)
            if protocol_of(url) == "file" and not os.path.isdir(url):
                raise StoreError(
                    f"there is no dflow store at {url}",
                    hint="pass --store URL or set DFLOW_STORE (a run creates its store)",
                )
            self._store = open_store(
                url, self._options, writable=False, trusted=resolve_trusted(self._trusted)
            )
        return self._store

    @property
    def writable_store(self) -> Store:
        """The same store opened for writing (what tagging needs), opened on first use.

        StoreError if the store cannot be written (for example a read-only mount).
        """
        if self._writable is None:
            self._writable = self.store.reopened(writable=True)
        return self._writable

    def set_store(self, url: Store | str | None, options: dict | None = None) -> None:
        """Read from another store from now on (``None``: the usual resolution)."""
        self.__init__(url, options, self._namespace, trusted=self._trusted)

    @property
    def namespace(self) -> str | None:
        """The current namespace (``None``: every run is visible)."""
        if self._namespace is _DEFAULT:
            return resolve_default_namespace()
        return self._namespace

    @namespace.setter
    def namespace(self, value: str | None) -> None:
        self._namespace = value

    def reset_namespace(self) -> str:
        """Go back to the default namespace and return it."""
        self._namespace = _DEFAULT
        return self.namespace  # type: ignore[return-value]

    def sees(self, namespaces: Iterable[str]) -> bool:
        """True if the current namespace is ``None`` or one of ``namespaces``."""
        current = self.namespace
        return current is None or current in set(namespaces)


#: The context client objects use when none is passed (what namespace() etc. change).
DEFAULT_CONTEXT = ClientContext()


def namespace(ns: str | None) -> str | None:
    """Switch the client to namespace ``ns`` (``None``: all namespaces); return it."""
    DEFAULT_CONTEXT.namespace = ns
    return ns


def get_namespace() -> str | None:
    """The namespace the client currently sees (``None``: all)."""
    return DEFAULT_CONTEXT.namespace


def default_namespace() -> str:
    """Switch back to the default namespace (``user:<name>`` or the configured one)."""
    return DEFAULT_CONTEXT.reset_namespace()


def set_store(url: Store | str | None, options: dict | None = None) -> None:
    """Make the client read the store at ``url`` (fsspec ``options``); ``None`` resets it.

    Example: ``set_store("s3://bucket/dflow", {"endpoint_url": "http://127.0.0.1:9000"})``.
    """
    DEFAULT_CONTEXT.set_store(url, options)


def get_store() -> Store:
    """The store the client reads by default."""
    return DEFAULT_CONTEXT.store
