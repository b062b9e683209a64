"""Whether a reader may unpickle: trust is explicit, and off by default.

Loading a pickle can run any code its writer chose (``__reduce__``), so whoever can write
a store can run code in the process of whoever reads it. The client and the CLI therefore
open stores *untrusted* unless the user says otherwise:

- ``ClientContext(..., trusted=True)`` (and ``--trusted`` on ``dflow dump``, ``logs``,
  ``runs``, ``tag``, ``code``);
- the configuration key ``dflow.client.trusted`` (``DFLOW_TRUSTED=true``, or
  ``client: {trusted: true}`` under ``dflow`` in ``~/.config/dask/dflow.yaml``).

An untrusted reader still lists every artifact and loads plain data (msgpack, zarr arrays,
frames: formats that cannot run code); a pickle is refused with PickleRefusedError, and
listings show it as ``<pickle of T, N bytes: not loaded (untrusted store)>``. Listing
never loads a pickle, trusted or not. ``dflow show`` and ``dflow report`` never unpickle
at all. The engine's own tasks read the run's store trusted: they run the flow's code
anyway, and a run's result (``FlowCls.run().run``) is read trusted for the same reason.
"""

from __future__ import annotations

from dflow import config
from dflow.errors import ConfigError
from dflow.store import ArtifactRef

_TRUE = {True, "1", "true", "yes", "on"}
_FALSE = {False, "0", "false", "no", "off", None, ""}


def resolve_trusted(trusted: bool | None = None) -> bool:
    """``trusted`` if given, else ``dflow.client.trusted`` / ``DFLOW_TRUSTED`` (False)."""
    value = config.get("client.trusted", override=trusted)
    if isinstance(value, str):
        value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(
        f"dflow.client.trusted (DFLOW_TRUSTED) must be true or false, got a {type(value).__name__}",
        hint="for example DFLOW_TRUSTED=true to let the client unpickle artifacts",
    )


def unloaded_pickle(ref: ArtifactRef, trusted: bool) -> str:
    """How a listing shows a pickle it does not load."""
    why = "" if trusted else ": not loaded (untrusted store)"
    return f"<pickle of {ref.type_name}, {ref.size} bytes{why}>"
