"""commit_attempt checks the objects an attempt wrote itself (all of them by default)."""

from __future__ import annotations

import uuid

import pytest

from dflow.errors import ArtifactNotFoundError
from dflow.store import ArtifactRef, TaskAddress, open_store


def test_only_the_written_artifacts_are_checked():
    store = open_store(f"memory://written-{uuid.uuid4().hex}")
    mine = store.save({"a": 1})
    ghost = ArtifactRef(key="0" * 32, encoding="msgpack", size=3, type_name="builtins.int")
    task = TaskAddress("F", "1", "s", "0")
    with pytest.raises(ArtifactNotFoundError, match="inherited"):
        store.commit_attempt(task, store.start_attempt(task), {"mine": mine, "inherited": ghost})
    with pytest.raises(ArtifactNotFoundError, match="inherited"):
        store.commit_attempt(
            task,
            store.start_attempt(task),
            {"mine": mine, "inherited": ghost},
            written={"mine", "inherited"},
        )
    attempt = store.start_attempt(task)
    manifest = store.commit_attempt(
        task, attempt, {"mine": mine, "inherited": ghost}, written={"mine"}
    )
    assert manifest.artifacts["mine"] == mine
    assert store.committed_attempts(task) == [attempt]
