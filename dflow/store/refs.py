"""Small, picklable values that cross layers: artifact references, task addresses, manifests.

These are plain frozen dataclasses. They travel through the Dask scheduler (an
:class:`ArtifactRef` is what a task returns instead of its data), so they hold only short
strings and integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dflow.errors import StoreError

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-=+@:,]*$")


def check_name(kind: str, value: str) -> str:
    """Return ``value`` if it is safe as one path part of the store, else raise StoreError.

    >>> check_name("step", "fit")
    'fit'
    """
    if not isinstance(value, str) or not _NAME_RE.match(value) or len(value) > 200:
        raise StoreError(
            f"invalid {kind} name {value!r}: the store uses it as a folder name",
            hint="use letters, digits and _ . - = + @ : , (not starting with . or -)",
        )
    return value


@dataclass(frozen=True)
class ArtifactRef:
    """Where one stored value lives and how to read it.

    ``key`` is the xxh3-128 hex digest of the serialized bytes (before compression; for
    zarr arrays, of a canonical header plus the raw buffer), ``encoding`` one of
    ``"msgpack"``, ``"zarr"``, ``"pickle"`` or another codec's name (see
    :mod:`dflow.store.codecs`), ``size`` the stored size in bytes and ``type_name`` the
    value's qualified type name (``"numpy.ndarray"``). ``meta`` is what the codec
    recorded about the value so that listings can describe it without loading it (shape,
    dtype, chunks, columns, rows, partitions; for a pickle fallback the ``reason``);
    ``None`` for encodings that record nothing (then the manifest has no ``meta`` field).
    """

    key: str
    encoding: str
    size: int
    type_name: str
    meta: dict[str, Any] | None = field(default=None, hash=False)

    def to_dict(self) -> dict:
        """Return a JSON-able dict (the form used in manifests; ``meta`` only when set)."""
        doc = {
            "key": self.key,
            "encoding": self.encoding,
            "size": self.size,
            "type": self.type_name,
        }
        if self.meta is not None:
            doc["meta"] = self.meta
        return doc

    def describe(self) -> str | None:
        """A one-line description from ``meta`` (nothing is read), or None without meta.

        >>> ArtifactRef("0" * 32, "dask-zarr", 800, "dask.array.core.Array",
        ...             {"shape": [10, 10], "dtype": "float64", "chunks": [5, 10]}).describe()
        'array (10, 10) float64, chunks (5, 10)'
        """
        m = self.meta
        if not m:
            return None
        if "shape" in m:
            text = f"array {tuple(m['shape'])} {m.get('dtype', '?')}"
            return text + (f", chunks {tuple(m['chunks'])}" if "chunks" in m else "")
        if "nrows" in m:
            if "columns" not in m:  # a series
                return f"series {m.get('name', '')!s} {m.get('dtype', '?')}, {m['nrows']:,} rows"
            cols = ", ".join(f"{c} {t}" for c, t in m["columns"][:8])
            more = f", +{m['ncols'] - 8} more" if m.get("ncols", 0) > 8 else ""
            parts = f" in {m['npartitions']} partitions" if "npartitions" in m else ""
            return f"frame {m['nrows']:,} rows{parts} x {m.get('ncols', '?')} columns: {cols}{more}"
        if "dims" in m:
            dims = ", ".join(f"{d}: {n}" for d, n in m["dims"].items())
            return f"dataset ({dims}) variables {', '.join(m.get('variables', []))}"
        if "reason" in m:
            return f"pickled because {m['reason']}"
        return None

    @classmethod
    def from_dict(cls, d: dict) -> ArtifactRef:
        """Build a reference from :meth:`to_dict`'s output."""
        try:
            return cls(
                key=str(d["key"]),
                encoding=str(d["encoding"]),
                size=int(d["size"]),
                type_name=str(d.get("type", d.get("type_name", ""))),
                meta=dict(d["meta"]) if d.get("meta") is not None else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"malformed artifact reference {d!r}: {exc}") from None


@dataclass(frozen=True)
class TaskAddress:
    """Where a task's records live. The store treats the four parts as path parts only."""

    flow: str
    run_id: str
    step: str
    task_id: str

    @property
    def pathspec(self) -> str:
        """``"flow/run_id/step/task_id"``, Metaflow's pathspec."""
        return f"{self.flow}/{self.run_id}/{self.step}/{self.task_id}"

    def check(self) -> TaskAddress:
        """Return self after checking every part is a safe folder name."""
        check_name("flow", self.flow)
        check_name("run id", self.run_id)
        check_name("step", self.step)
        check_name("task id", self.task_id)
        return self


@dataclass(frozen=True)
class Manifest:
    """One committed attempt of a task: its artifacts (name to reference) and metadata."""

    address: TaskAddress
    attempt: int
    artifacts: dict[str, ArtifactRef] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunEntry:
    """One run as the cheap run index lists it."""

    run_id: str
    status: str


def what(key: str, name: str) -> str:
    """How errors name an artifact: ``artifact 'x' (object <key>)``.

    >>> what("ab12", "score"), what("ab12", "")
    ("artifact 'score' (object ab12)", 'object ab12')
    """
    return f"artifact {name!r} (object {key})" if name else f"object {key}"
