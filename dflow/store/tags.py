"""Run tags, one empty object per tag, so tagging never rewrites (or races with) run.json.

Layout under ``flows/<flow>/runs/<run_id>/tags/``::

    <encoded tag>      empty: the run has this tag
    ~<xxh3 of tag>     a tag whose encoding would be too long for a file name; holds the tag
    @seeded            empty, written once the folder holds ALL the run's tags

Listing a run's tags is one listing of that folder. Runs written before tags had their own
files keep them in run.json's ``"tags"``: until ``@seeded`` exists, those are the run's tags,
and the first add or remove copies them into the folder (then writes ``@seeded``).

The encoding keeps ``a-z 0-9 _ -`` as they are, writes an upper-case letter as ``^`` and
the letter in lower case (so no two tags differ only by case on a case-insensitive disk),
and every other character as ``%xx`` per UTF-8 byte (lower-case hex). Every string
round-trips; the names are safe as local file names and S3 keys and never start with
``.``, ``~`` or ``@``.

>>> encode_tag("Team:vision")
'^team%3avision'
>>> decode_tag("^team%3avision")
'Team:vision'
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from dflow.errors import RecordNotFoundError, StoreError
from dflow.store.files import Files, io_error
from dflow.store.keys import digest
from dflow.store.records import RunRecords, write_checked

SEEDED = "@seeded"
#: Encoded names longer than this are stored as ``~<digest>`` objects holding the tag.
MAX_NAME = 200
_SAFE = frozenset(string.ascii_lowercase + string.digits + "_-")
_UPPER = frozenset(string.ascii_uppercase)
_HEX = frozenset("0123456789abcdef")


def check_tag(tag: Any) -> str:
    """Return ``tag`` if it can be stored as a tag (a non-empty str), else StoreError."""
    if not isinstance(tag, str) or not tag:
        raise StoreError(f"invalid tag {tag!r}: a tag is a non-empty string")
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in tag):
        raise StoreError(
            f"invalid tag {tag!r}: it holds a control character (a newline, a tab...)",
            hint="use printable characters only; a tag is shown on one line",
        )
    try:
        tag.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise StoreError(f"invalid tag {tag!r}: not encodable as UTF-8 ({exc})") from None
    return tag


def encode_tag(tag: str) -> str:
    """The object name of ``tag`` (see the module docstring); reversed by :func:`decode_tag`."""
    out = []
    for ch in check_tag(tag):
        if ch in _SAFE:
            out.append(ch)
        elif ch in _UPPER:
            out.append("^" + ch.lower())
        else:
            out.extend(f"%{b:02x}" for b in ch.encode("utf-8"))
    return "".join(out)


def decode_tag(name: str) -> str | None:
    """The tag an encoded name stands for, or None if ``name`` is not an encoded tag."""
    raw, i = bytearray(), 0
    while i < len(name):
        ch = name[i]
        if ch in _SAFE:
            raw += ch.encode()
            i += 1
        elif ch == "^" and i + 1 < len(name) and name[i + 1] in string.ascii_lowercase:
            raw += name[i + 1].upper().encode()
            i += 2
        elif ch == "%" and len(name) >= i + 3 and _HEX.issuperset(name[i + 1 : i + 3]):
            raw.append(int(name[i + 1 : i + 3], 16))
            i += 3
        else:
            return None
    try:
        tag = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return tag or None


def _long_name(tag: str) -> str:
    return "~" + digest(tag.encode("utf-8"))


class RunTags:
    """Run tags in their own files, beside the run records ``records`` over ``files``."""

    def __init__(self, files: Files, records: RunRecords) -> None:
        self.files, self.records = files, records

    def _tags_dir(self, flow: str, run_id: str) -> str:
        return f"{self.records.run_dir(flow, run_id)}/tags"

    def run_tags(self, flow: str, run_id: str, *, record: Mapping | None = None) -> list[str]:
        """The run's tags, sorted: one listing of its tags folder.

        Runs whose tags folder was never seeded (written before tags had their own files)
        fall back to run.json's ``"tags"`` (``record``, if the caller already read it).
        """
        folder = self._tags_dir(flow, run_id)
        try:
            names = self.files.ls(folder)
        except OSError as exc:
            raise io_error("list", folder, exc) from exc
        if SEEDED not in names:
            return sorted(set(self._legacy_tags(flow, run_id, record)))
        tags = set()
        for name in names:
            if name.startswith("~"):
                tag = self._read_long_tag(f"{folder}/{name}")
            else:
                tag = decode_tag(name)
            if tag:
                tags.add(tag)
        return sorted(tags)

    def add_run_tags(self, flow: str, run_id: str, tags: Iterable[str]) -> None:
        """Add ``tags`` to a run (one empty object each; run.json is not touched).

        Also seeds the run's tags folder, so the engine calls it (with the run's initial
        tags, maybe none) right after it first writes run.json.
        """
        tags = [check_tag(t) for t in tags]
        self._seed_tags(flow, run_id)
        for tag in tags:
            self._write_tag(flow, run_id, tag)

    def remove_run_tags(self, flow: str, run_id: str, tags: Iterable[str]) -> None:
        """Remove ``tags`` from a run (absent ones are fine; run.json is not touched)."""
        tags = [check_tag(t) for t in tags]
        self._seed_tags(flow, run_id)
        folder = self._tags_dir(flow, run_id)
        for tag in tags:
            name = encode_tag(tag)
            rel = f"{folder}/{name if len(name) <= MAX_NAME else _long_name(tag)}"
            try:
                self.files.rm(rel)
            except OSError as exc:
                raise io_error("remove", rel, exc) from exc

    # --- internals ---------------------------------------------------------------------

    def _legacy_tags(self, flow: str, run_id: str, record: Mapping | None) -> list[str]:
        if record is None:
            try:
                record = self.records.read_run_record(flow, run_id)
            except RecordNotFoundError:
                return []
        return [str(t) for t in record.get("tags") or ()]

    def _seed_tags(self, flow: str, run_id: str) -> None:
        # Copy run.json's tags into the folder, then mark it complete. Two first taggers
        # may both seed; a remove that lands between another tagger's listing and its
        # seeding can be undone by that seeding (a short window, once per run).
        folder = self._tags_dir(flow, run_id)
        try:
            seeded = SEEDED in self.files.ls(folder)
        except OSError as exc:
            raise io_error("list", folder, exc) from exc
        if seeded:
            return
        for tag in self._legacy_tags(flow, run_id, None):
            self._write_tag(flow, run_id, tag)
        write_checked(self.files, f"{folder}/{SEEDED}", b"")

    def _write_tag(self, flow: str, run_id: str, tag: str) -> None:
        name = encode_tag(tag)
        folder = self._tags_dir(flow, run_id)
        if len(name) <= MAX_NAME:
            write_checked(self.files, f"{folder}/{name}", b"")
        else:
            write_checked(self.files, f"{folder}/{_long_name(tag)}", tag.encode("utf-8"))

    def _read_long_tag(self, rel: str) -> str:
        try:
            return self.files.read(rel).decode("utf-8")
        except FileNotFoundError:  # removed since the listing
            return ""
        except UnicodeDecodeError as exc:
            raise StoreError(f"tag object {rel} is not UTF-8 text: {exc}") from None
        except OSError as exc:
            raise io_error("read", rel, exc) from exc
