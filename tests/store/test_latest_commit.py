"""A damaged DONE or manifest costs one attempt, never the whole task (in layout 2, where
the DONE is the whole commit, and in the layout 1 of older runs)."""

from __future__ import annotations

import json

import pytest
from layoutkit import downgrade_run

from dflow.errors import ArtifactCorruptError, NotCommittedError, StoreError
from dflow.store import Store, TaskAddress
from dflow.store.keys import digest

T = TaskAddress("TrainFlow", "run-1", "fit", "0")
BASE = "flows/TrainFlow/runs/run-1/steps/fit/0"


def _two_commits(store: Store, layout: int = 2) -> None:
    for value in ("first", "second"):
        n = store.start_attempt(T)
        store.commit_attempt(T, n, {"v": store.save(value)}, record={"status": "succeeded"})
    if layout == 1:
        downgrade_run(store, T.flow, T.run_id)


def _swap_in_done(s: Store) -> None:
    rel = f"{BASE}/1/DONE"
    s.io.write(rel, s.io.read(rel).replace(b'"v"', b'"w"'))


def _other_attempts_done(s: Store) -> None:
    s.io.write(f"{BASE}/1/DONE", s.io.read(f"{BASE}/0/DONE"))


DAMAGE_V2 = {
    "empty DONE": lambda s: s.io.write(f"{BASE}/1/DONE", b""),
    "truncated DONE": lambda s: s.io.write(f"{BASE}/1/DONE", s.io.read(f"{BASE}/1/DONE")[:9]),
    "DONE not an object": lambda s: s.io.write(f"{BASE}/1/DONE", b"[1, 2]"),
    "DONE changed, same size": _swap_in_done,
    "DONE of another attempt": _other_attempts_done,
}
DAMAGE = {
    "empty DONE": lambda s: s.io.write(f"{BASE}/1/DONE", b""),
    "truncated DONE": lambda s: s.io.write(f"{BASE}/1/DONE", s.io.read(f"{BASE}/1/DONE")[:9]),
    "DONE not an object": lambda s: s.io.write(f"{BASE}/1/DONE", b"[1, 2]"),
    "manifest missing": lambda s: s.io.rm(f"{BASE}/1/manifest.json"),
    "manifest changed": lambda s: s.io.write(
        f"{BASE}/1/manifest.json", s.io.read(f"{BASE}/1/manifest.json").replace(b'"v"', b'"w"')
    ),
}


CASES = [(2, d) for d in sorted(DAMAGE_V2)] + [(1, d) for d in sorted(DAMAGE)]


@pytest.mark.parametrize(("layout", "damage"), CASES)
def test_latest_commit_falls_back_past_a_damaged_attempt(
    store: Store, layout: int, damage: str
) -> None:
    _two_commits(store, layout)
    (DAMAGE_V2 if layout == 2 else DAMAGE)[damage](store)
    latest = store.latest_commit(T)
    assert latest is not None and latest.attempt == 0
    assert store.load(latest.artifacts["v"]) == "first"
    with pytest.raises(ArtifactCorruptError, match="attempt 1"):
        store.manifest(T, 1)
    assert store.committed_attempts(T) == [0, 1]  # still listed: nothing is deleted
    # it committed, so it reads as a success: every reader shows it as damaged
    assert store.read_attempt_record(T, 1)["status"] == "succeeded"


def test_a_damaged_commit_keeps_a_layout_1_record(store: Store) -> None:
    _two_commits(store, layout=1)
    store.io.write(f"{BASE}/1/DONE", b"{")
    assert store.read_attempt_record(T, 1) == {"status": "succeeded", "layout": 1}


def test_a_commit_of_a_newer_layout_is_refused_in_one_sentence(store: Store) -> None:
    n = store.start_attempt(T)
    store.io.write(f"{BASE}/{n}/DONE", json.dumps({"layout": 3}).encode())
    with pytest.raises(StoreError, match="newer dflow"):
        store.manifest(T, n)


def test_malformed_manifest_with_matching_done_is_corruption(store: Store) -> None:
    n = store.start_attempt(T)
    store.commit_attempt(T, n, {"v": store.save(1)})
    bad = b'{"artifacts": {"v": {"key": 1}}}'
    store.io.write(f"{BASE}/{n}/manifest.json", bad)
    store.io.write(f"{BASE}/{n}/DONE", json.dumps({"manifest": digest(bad)}).encode())
    with pytest.raises(ArtifactCorruptError, match="malformed"):
        store.manifest(T, n)
    assert store.latest_commit(T) is None


@pytest.mark.parametrize("layout", [2, 1])
def test_a_commit_reads_the_same_in_both_layouts(store: Store, layout: int) -> None:
    _two_commits(store, layout)
    latest = store.latest_commit(T)
    assert (latest.attempt, store.load(latest.artifacts["v"])) == (1, "second")
    assert store.read_attempt_record(T, 1) == {"status": "succeeded", "layout": layout}
    names = {
        2: ["DONE", "started.json"],
        1: ["DONE", "manifest.json", "record.json", "started.json"],
    }
    assert store.io.ls(f"{BASE}/1") == names[layout]


def test_a_commit_is_one_object_and_never_overwritten(store: Store) -> None:
    n = store.start_attempt(T)
    store.commit_attempt(T, n, {"v": store.save(1)}, record={"status": "succeeded"})
    before = store.io.read(f"{BASE}/{n}/DONE")
    with pytest.raises(StoreError, match="already committed"):
        store.commit_attempt(T, n, {"v": store.save(2)}, record={"status": "succeeded"})
    assert store.io.read(f"{BASE}/{n}/DONE") == before


def test_only_damaged_attempts_mean_no_commit_and_a_new_attempt_recovers(store: Store) -> None:
    n = store.start_attempt(T)
    store.commit_attempt(T, n, {"v": store.save("x")})
    store.io.write(f"{BASE}/{n}/DONE", b"{")
    assert store.latest_commit(T) is None
    m = store.start_attempt(T)
    assert m == n + 1
    store.commit_attempt(T, m, {"v": store.save("y")})
    assert store.latest_commit(T).attempt == m


def test_uncommitted_attempt_is_still_not_committed(store: Store) -> None:
    n = store.start_attempt(T)
    with pytest.raises(NotCommittedError):
        store.manifest(T, n)


def test_a_storage_failure_is_raised_not_skipped(store: Store, monkeypatch) -> None:
    _two_commits(store)
    real = store.io.read

    def failing(rel):
        if rel.endswith("1/DONE"):
            raise OSError("connection reset")
        return real(rel)

    monkeypatch.setattr(store.io, "read", failing)
    with pytest.raises(StoreError, match="connection reset"):
        store.latest_commit(T)
