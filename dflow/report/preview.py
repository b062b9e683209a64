"""The artifacts of a task as a report lists them: name, type, encoding, size and the
preview that ``dflow dump`` shows too (:func:`dflow.client.preview.preview_value`: it never
unpickles and reads little, so a report is safe to build from a store someone else wrote).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dflow.client.preview import preview_value
from dflow.store import ArtifactRef, Store


@dataclass(frozen=True)
class ArtifactInfo:
    """One artifact of a task: name, type, encoding, size in bytes and a preview text."""

    name: str
    type_name: str
    encoding: str
    size: int
    preview: str


def describe_artifacts(store: Store, artifacts: Mapping[str, ArtifactRef]) -> list[ArtifactInfo]:
    """ArtifactInfo for every artifact of a manifest, sorted by name."""
    return [
        ArtifactInfo(name, ref.type_name, ref.encoding, ref.size, preview_value(store, ref, name))
        for name, ref in sorted(artifacts.items())
    ]
