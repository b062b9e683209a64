"""Run tags in their own objects: safe names, every tag round-trips, one listing to read."""

from __future__ import annotations

import string

import pytest

from dflow.errors import StoreError
from dflow.store import Store
from dflow.store.tags import decode_tag, encode_tag

TAGS = [
    "best",
    "Best",
    "BEST",
    "team:vision",
    "user:alice",
    "a/b",
    "../up",
    ".",
    "..",
    ".hidden",
    "-dash",
    "~tilde",
    "@seeded",
    "%41",
    "^a",
    "with space",
    " lead",
    "trail ",
    "naïve",
    "日本語",
    "emoji 🚀",
    "q?x=1&y=2",
    "back\\slash",
    "x" * 500,
    "é" * 300,
    string.printable.strip(),
]


@pytest.mark.parametrize("tag", ["tab\there", "new\nline", "bell\x07"])
def test_a_tag_with_a_control_character_is_refused_by_the_encoding(tag: str) -> None:
    from dflow.errors import StoreError

    with pytest.raises(StoreError, match="control character"):
        encode_tag(tag)


@pytest.mark.parametrize("tag", TAGS)
def test_encoding_round_trips_and_is_a_safe_name(tag: str) -> None:
    name = encode_tag(tag)
    assert decode_tag(name) == tag
    assert set(name) <= set(string.ascii_lowercase + string.digits + "_-^%")
    assert not name.startswith((".", "~", "@"))


def test_names_differ_beyond_case() -> None:
    names = {encode_tag(t) for t in ("a", "A", "ab", "Ab", "aB", "AB")}
    assert len({n.lower() for n in names}) == 6


def test_not_encoded_tags_decode_to_none() -> None:
    for name in ("@seeded", ".DONE.tmp-1", "~" + "0" * 32, "%zz", "%c3", "^", "^A", ""):
        assert decode_tag(name) is None


def test_every_tag_round_trips_through_the_store(store: Store) -> None:
    store.write_run_record("F", "1", {"status": "running"})
    store.add_run_tags("F", "1", TAGS)
    assert store.run_tags("F", "1") == sorted(set(TAGS))
    store.remove_run_tags("F", "1", TAGS[::2])
    assert store.run_tags("F", "1") == sorted(set(TAGS[1::2]))
    store.remove_run_tags("F", "1", ["never-there"])
    assert store.run_tags("F", "1") == sorted(set(TAGS[1::2]))


def test_tagging_never_touches_run_json(store: Store) -> None:
    store.write_run_record("F", "1", {"status": "running", "tags": ["initial"]})
    rel = "flows/F/runs/1/run.json"
    before = store.io.read(rel)
    store.add_run_tags("F", "1", ["x", "y"])
    store.remove_run_tags("F", "1", ["initial", "x"])
    assert store.io.read(rel) == before
    assert store.run_tags("F", "1") == ["y"]


def test_runs_written_before_fall_back_to_run_json(store: Store) -> None:
    store.write_run_record("F", "old", {"status": "succeeded", "tags": ["b", "a"]})
    assert store.run_tags("F", "old") == ["a", "b"]
    assert store.run_tags("F", "old", record={"tags": ["from-caller"]}) == ["from-caller"]
    store.remove_run_tags("F", "old", ["a"])  # seeds the folder from run.json first
    assert store.run_tags("F", "old") == ["b"]
    store.remove_run_tags("F", "old", ["b"])
    assert store.run_tags("F", "old") == []  # an empty seeded folder: no fallback
    assert store.read_run_record("F", "old")["tags"] == ["b", "a"]


def test_a_run_with_neither_has_no_tags(store: Store) -> None:
    assert store.run_tags("F", "ghost") == []


def test_listing_tags_is_one_listing(store: Store, monkeypatch) -> None:
    store.write_run_record("F", "1", {"status": "running", "tags": ["t"]})
    store.add_run_tags("F", "1", [f"tag-{i}" for i in range(30)])
    calls = []
    real_ls, real_read = store.io.ls, store.io.read
    monkeypatch.setattr(store.io, "ls", lambda rel: calls.append(rel) or real_ls(rel))
    monkeypatch.setattr(store.io, "read", lambda rel: calls.append(("read", rel)) or real_read(rel))
    tags = store.run_tags("F", "1")
    assert len(tags) == 31 and "t" in tags
    assert calls == ["flows/F/runs/1/tags"]


@pytest.mark.parametrize("bad", ["", None, 3, "\ud800"])
def test_invalid_tags_are_refused_before_anything_is_written(store: Store, bad) -> None:
    store.write_run_record("F", "1", {"status": "running"})
    with pytest.raises(StoreError, match="invalid tag"):
        store.add_run_tags("F", "1", ["fine", bad])
    assert store.io.ls("flows/F/runs/1/tags") == []
