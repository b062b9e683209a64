"""``get_metadata()`` and ``metadata(...)``: Metaflow's names for where the client reads.

In dflow the run metadata lives in the store, so the "metadata provider" is the store:
``get_metadata()`` gives ``"local@/path/.dflow"`` for a folder and ``"s3@s3://bucket/x"``
(the URL's protocol) for others; ``metadata("local@/other/.dflow")`` (or a bare URL)
points the client at another store and returns the new description.
"""

from __future__ import annotations

from dflow.client.context import DEFAULT_CONTEXT, set_store
from dflow.errors import DflowError
from dflow.store import resolve_store_url
from dflow.store.location import protocol_of


def _describe(url: str) -> str:
    kind = protocol_of(url)
    return f"{'local' if kind == 'file' else kind}@{url}"


def get_metadata() -> str:
    """Where the client reads runs from, as ``"<kind>@<store url>"`` (Metaflow's form)."""
    store = DEFAULT_CONTEXT._store
    if store is not None and DEFAULT_CONTEXT._given:
        return _describe(store.url)
    return _describe(resolve_store_url(DEFAULT_CONTEXT._url))


def metadata(ms: str) -> str:
    """Read from the store ``ms`` names (``"local@/path"``, ``"s3@s3://b/p"`` or a URL).

    Metaflow's ``"service@https://..."`` metadata service has no dflow counterpart: the
    store holds the metadata, so pass the store's URL instead.
    """
    kind, sep, where = str(ms).partition("@")
    if not sep:
        kind, where = "", str(ms)
    if kind in ("service",) or where.startswith(("http://", "https://")):
        raise DflowError(
            f"metadata({ms!r}): dflow has no metadata service; runs are read from the store",
            hint="pass the store's URL: metadata('local@/path/.dflow') or metadata('s3://b/p')",
        )
    if kind == "local" and not where:
        set_store(None)
    else:
        set_store(where)
    return get_metadata()
