"""A damaged DONE or manifest costs one attempt, never the whole task."""

from __future__ import annotations

import json

import pytest

from dflow.errors import ArtifactCorruptError, NotCommittedError, StoreError
from dflow.store import Store, TaskAddress
from dflow.store.keys import digest

T = TaskAddress("TrainFlow", "run-1", "fit", "0")
BASE = "flows/TrainFlow/runs/run-1/steps/fit/0"


def _two_commits(store: Store) -> None:
    for value in ("first", "second"):
        n = store.start_attempt(T)
        store.commit_attempt(T, n, {"v": store.save(value)})


DAMAGE = {
    "empty DONE": lambda s: s.io.write(f"{BASE}/1/DONE", b""),
    "truncated DONE": lambda s: s.io.write(f"{BASE}/1/DONE", s.io.read(f"{BASE}/1/DONE")[:9]),
    "DONE not an object": lambda s: s.io.write(f"{BASE}/1/DONE", b"[1, 2]"),
    "manifest missing": lambda s: s.io.rm(f"{BASE}/1/manifest.json"),
    "manifest changed": lambda s: s.io.write(
        f"{BASE}/1/manifest.json", s.io.read(f"{BASE}/1/manifest.json").replace(b'"v"', b'"w"')
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_latest_commit_falls_back_past_a_damaged_attempt(store: Store, damage: str) -> None:
    _two_commits(store)
    DAMAGE[damage](store)
    latest = store.latest_commit(T)
    assert latest is not None and latest.attempt == 0
    assert store.load(latest.artifacts["v"]) == "first"
    with pytest.raises(ArtifactCorruptError, match="attempt 1"):
        store.manifest(T, 1)
    assert store.committed_attempts(T) == [0, 1]  # still listed: nothing is deleted


def test_malformed_manifest_with_matching_done_is_corruption(store: Store) -> None:
    n = store.start_attempt(T)
    store.commit_attempt(T, n, {"v": store.save(1)})
    bad = b'{"artifacts": {"v": {"key": 1}}}'
    store.io.write(f"{BASE}/{n}/manifest.json", bad)
    store.io.write(f"{BASE}/{n}/DONE", json.dumps({"manifest": digest(bad)}).encode())
    with pytest.raises(ArtifactCorruptError, match="malformed"):
        store.manifest(T, n)
    assert store.latest_commit(T) is None


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
