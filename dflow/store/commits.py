"""The commit marker of a task attempt (``DONE``), in both layouts a store may hold.

Layout 2 (written since December 2026): the commit is ONE object, the attempt's
``DONE``, holding the manifest (artifacts, meta) and the attempt record, sealed by the
xxh3 digest of its own content::

    {"layout": 2, "pathspec": ..., "attempt": n, "artifacts": {...}, "meta": {...},
     "record": {...}, "digest": <xxh3 of the rest, as compact JSON with sorted keys>}

It is created last, atomically and exclusively (a conditional PUT on an object store,
the fsynced temp file and hard link locally), so an attempt that committed is
``started.json`` + ``DONE`` (+ its values), and one whose DONE is damaged in any byte is
detected (its digest no longer matches).

Layout 1 (older runs, read as before): ``DONE`` is ``{"layout": 1, "manifest": <xxh3 of
manifest.json>}`` beside ``manifest.json`` and ``record.json``; a DONE without
``"layout"`` is layout 1 too.

>>> from dflow.store.refs import TaskAddress
>>> t = TaskAddress("F", "1", "start", "0")
>>> data = commit_bytes(t, 0, {}, {"k": 1}, {"status": "succeeded"})
>>> doc = parse_done(data, "F/1/start/0 attempt 0")
>>> check_commit(doc, t, 0, "F/1/start/0 attempt 0")
>>> doc["meta"], doc["record"]
({'k': 1}, {'status': 'succeeded'})
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dflow.errors import ArtifactCorruptError, StoreError
from dflow.store.keys import digest
from dflow.store.refs import ArtifactRef, Manifest, TaskAddress

COMMIT_LAYOUT = 2
_DAMAGED = "the store is damaged; rerun the task"
_JSON_HINT = (
    "records and manifest meta may hold only str, numbers, bools, None, lists and dicts "
    "with str keys"
)


def dump_json(doc: Mapping[str, Any], what: str) -> bytes:
    """JSON bytes of a record (sorted keys, so equal records give equal bytes)."""
    try:
        return json.dumps(doc, sort_keys=True, indent=1, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what} is not JSON-serializable: {exc}", hint=_JSON_HINT) from None


def _seal(body: Mapping[str, Any], what: str) -> str:
    """The digest sealing a layout-2 commit: xxh3 of ``body`` (the commit without its
    ``"digest"``) as compact JSON with sorted keys, which the C encoder writes (an
    indented dump runs in pure Python: a reader checks every commit of a run)."""
    try:
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what} is not JSON-serializable: {exc}", hint=_JSON_HINT) from None
    return digest(text.encode())


def commit_bytes(
    t: TaskAddress,
    attempt: int,
    artifacts: Mapping[str, ArtifactRef],
    meta: Mapping[str, Any] | None,
    record: Mapping[str, Any] | None,
) -> bytes:
    """The bytes of a layout-2 commit marker (see the module docstring)."""
    doc: dict[str, Any] = {
        "layout": COMMIT_LAYOUT,
        "pathspec": t.pathspec,
        "attempt": attempt,
        "artifacts": {name: ref.to_dict() for name, ref in sorted(artifacts.items())},
        "meta": dict(meta or {}),
    }
    if record is not None:
        doc["record"] = {k: v for k, v in record.items() if k != "layout"}
    what = f"commit of {t.pathspec}"
    return dump_json({**doc, "digest": _seal(doc, what)}, what)


def parse_done(data: bytes, what: str) -> dict:
    """The JSON object of a DONE marker; ArtifactCorruptError naming ``what`` if it is
    not one."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ArtifactCorruptError(
            f"the DONE marker of {what} is damaged: it is not valid JSON: {exc}", hint=_DAMAGED
        ) from None
    if not isinstance(doc, dict):
        raise ArtifactCorruptError(
            f"the DONE marker of {what} is damaged: it is not a JSON object", hint=_DAMAGED
        )
    return doc


def layout_of(doc: Mapping[str, Any]) -> int:
    """The layout of a parsed DONE marker (1 when it does not say: the oldest stores)."""
    layout = doc.get("layout", 1)
    if layout not in (1, COMMIT_LAYOUT):
        raise StoreError(
            f"a commit marker has layout {layout!r}, which this dflow cannot read",
            hint="it was written by a newer dflow: upgrade dflow to read this run",
        )
    return layout


def check_commit(doc: Mapping[str, Any], t: TaskAddress, attempt: int, what: str) -> None:
    """Raise ArtifactCorruptError unless the layout-2 commit ``doc`` is intact (its digest
    matches its content) and is the commit of attempt ``attempt`` of ``t``."""
    body = {k: v for k, v in doc.items() if k != "digest"}
    try:
        sound = _seal(body, what) == doc.get("digest")
    except StoreError:
        sound = False
    if not sound:
        raise ArtifactCorruptError(
            f"the DONE marker of {what} is damaged: its digest does not match its content",
            hint=_DAMAGED,
        )
    if doc.get("pathspec") != t.pathspec or doc.get("attempt") != attempt:
        raise ArtifactCorruptError(
            f"the DONE marker of {what} is the commit of {doc.get('pathspec')} attempt "
            f"{doc.get('attempt')}",
            hint=_DAMAGED,
        )


def manifest_from(doc: Any, t: TaskAddress, attempt: int, what: str) -> Manifest:
    """The :class:`Manifest` of a manifest document (layout 1's manifest.json, or a
    layout-2 commit); ArtifactCorruptError if it is malformed."""
    try:
        arts = {n: ArtifactRef.from_dict(d) for n, d in doc["artifacts"].items()}
        return Manifest(t, attempt, arts, dict(doc.get("meta") or {}))
    except (ValueError, KeyError, TypeError, AttributeError, StoreError) as exc:
        raise ArtifactCorruptError(
            f"manifest of {what} is malformed: {type(exc).__name__}: {exc}", hint=_DAMAGED
        ) from None
