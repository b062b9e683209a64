"""How ``dflow dump`` shows artifact values: the value printed whole (or as JSON), and a
summary in place of arrays too large to load. The one-line preview of its listing is the
client's (:meth:`dflow.client.DataArtifact.preview`), the one a run report shows too.

Nothing here unpickles a value of an untrusted store, and an artifact that cannot be
loaded is marked in the listing instead of ending it.
"""

from __future__ import annotations

import json
from typing import Any

from dflow.client import DataArtifact
from dflow.client.trust import unloaded_pickle
from dflow.errors import DflowError

#: Arrays up to this many bytes are loaded to be printed; larger ones are summarized.
PRINT_ARRAY_BYTES = 64 << 20
#: Longest value preview in ``dflow dump``'s listing, in characters (a table column).
PREVIEW_CHARS = 60


def _array_summary(art: DataArtifact) -> dict:
    z = art.zarr()
    return {"encoding": "zarr", "shape": list(z.shape), "dtype": str(z.dtype), "sha": art.sha}


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        pass
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return repr(value)


def artifact_value(art: DataArtifact, *, as_json: bool) -> Any:
    """The value to print: the data, or a summary for arrays too large to load."""
    if art.is_array and art.size > PRINT_ARRAY_BYTES:
        return _array_summary(art)
    return _jsonable(art.data) if as_json else art.data


def listed_value(art: DataArtifact) -> Any:
    """An artifact's value for a whole-task JSON dump: never unpickles in an untrusted
    store, and an artifact that cannot be loaded is marked, not fatal."""
    if art.encoding == "pickle" and not art.store.trusted:
        return unloaded_pickle(art.ref, trusted=False)
    try:
        return artifact_value(art, as_json=True)
    except DflowError as exc:
        return f"<not loaded: {exc.message}>"


def pretty(value: Any) -> str:
    """A value as ``dflow dump --artifact`` prints it: a string as it is, else pprint."""
    import pprint

    return value if isinstance(value, str) else pprint.pformat(value)
