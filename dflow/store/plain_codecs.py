"""The ``msgpack`` codec (plain data, see :mod:`dflow.store.plaindata`) and the ``pickle``
codec (cloudpickle: everything else; refused by stores opened untrusted).

Both store one blob whose key is the digest of the encoded bytes.
"""

from __future__ import annotations

from typing import Any

import cloudpickle

from dflow.errors import ArtifactUnreadableError, PickleRefusedError
from dflow.store import plaindata
from dflow.store.codecs import Codec, Declined, type_name
from dflow.store.refs import ArtifactRef, what


def blob_ref(
    store: Any,
    data: bytes,
    encoding: str,
    value: Any,
    meta: dict | None = None,
    *,
    compressed: bool = False,
) -> ArtifactRef:
    """Store ``data`` as a blob; the reference of ``value`` encoded as ``encoding``.

    ``compressed``: ``data`` is compressed already (stored without another attempt).
    """
    key = store.put_bytes(data, compressed=compressed)
    return ArtifactRef(key, encoding, len(data), type_name(value), meta)


class MsgpackCodec(Codec):
    """Plain data (with extension types) as msgpack."""

    name = "msgpack"

    def accepts(self, value: Any) -> bool:  # noqa: D102
        return True

    def save(self, store: Any, value: Any) -> ArtifactRef:  # noqa: D102
        try:
            kind = plaindata.classify(value)
            if kind is None:
                raise Declined()
            data = plaindata.pack(value, kind)
        except (TypeError, ValueError, OverflowError, RecursionError):
            raise Declined() from None
        return blob_ref(store, data, self.name, value)

    def load(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        return plaindata.unpack(store.get_bytes(ref.key, name=name))


class PickleCodec(Codec):
    """Anything cloudpickle can serialize (protocol 5). Loading can run code."""

    name = "pickle"
    trusted_only = True

    def accepts(self, value: Any) -> bool:  # noqa: D102
        return True

    def save(self, store: Any, value: Any) -> ArtifactRef:  # noqa: D102
        return blob_ref(store, cloudpickle.dumps(value, protocol=5), self.name, value)

    def load(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        if not store.trusted:
            raise PickleRefusedError(
                f"{what(ref.key, name)} is a pickle ({ref.type_name}) and this store was "
                "opened as untrusted: unpickling could run arbitrary code",
                hint="only if you trust whoever wrote the store: pass --trusted (dflow "
                "dump), set DFLOW_TRUSTED=true, or open it with trusted=True",
            )
        return unpickle(store.get_bytes(ref.key, name=name), ref, name)


def unpickle(data: bytes, ref: ArtifactRef, name: str) -> Any:
    """Unpickle a stored value; a class or module that cannot be imported here is an
    ArtifactUnreadableError naming the artifact and what is missing."""
    try:
        return cloudpickle.loads(data)
    except ModuleNotFoundError as exc:
        missing = f"module {exc.name!r}" if exc.name else str(exc)
    except (AttributeError, ImportError) as exc:
        missing = str(exc)
    except Exception as exc:  # a user class's __setstate__/__reduce__ failed
        raise ArtifactUnreadableError(
            f"{what(ref.key, name)} (a pickled {ref.type_name}) cannot be unpickled: "
            f"{type(exc).__name__}: {exc}",
            hint="load it with the same package versions and code that wrote it",
        ) from exc
    module = ref.type_name.rpartition(".")[0] or "?"
    raise ArtifactUnreadableError(
        f"{what(ref.key, name)} is a pickled {ref.type_name} that cannot be loaded here: "
        f"{missing} is not importable",
        hint=f"make {module!r} importable in this Python (install the package that "
        "provides it, or add the folder that holds it to PYTHONPATH; a run's own code can "
        "be extracted with `dflow code FLOW/RUN`)",
    )
