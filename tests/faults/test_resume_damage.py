"""Resume re-verifies what it reuses: a task whose artifacts are damaged runs again."""

from __future__ import annotations

from pathlib import Path

import pytest
from faultkit import fault_flow, run

from dflow.engine.launch import RunOptions
from dflow.engine.resume import resume_flow
from dflow.store import TaskAddress, open_store


def _blob_file(store_url: str, key: str) -> Path:
    return Path(store_url) / "objects" / key[:2] / key[2:]


def _array_dir(store_url: str, key: str) -> Path:
    return Path(store_url) / "arrays" / key[:2] / key[2:]


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-7])


def _delete_a_chunk(folder: Path) -> None:
    chunks = sorted(p for p in (folder / "c").rglob("*") if p.is_file())
    assert chunks
    chunks[0].unlink()


def _delete_marker(folder: Path) -> None:
    (folder / "dflow-complete.json").unlink()


DAMAGE = {
    "corrupt blob": ("blob", "value", lambda url, key: _corrupt(_blob_file(url, key))),
    "truncated blob": ("blob", "value", lambda url, key: _truncate(_blob_file(url, key))),
    "deleted chunk": ("array", "arr", lambda url, key: _delete_a_chunk(_array_dir(url, key))),
    "deleted marker": ("array", "arr", lambda url, key: _delete_marker(_array_dir(url, key))),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_resume_reruns_exactly_the_damaged_task_and_what_follows(case, store_url, capsys):
    step, name, damage = DAMAGE[case]
    cls = fault_flow("DamageFlow")
    origin = run(cls, store_url)
    assert origin.successful
    store = open_store(store_url)
    manifest = store.latest_commit(TaskAddress("DamageFlow", origin.run_id, step, "0"))
    damage(store_url, manifest.artifacts[name].key)

    resumed = resume_flow(
        cls, origin.run_id, None, RunOptions(store=store_url, scheduler="sync", quiet=False)
    )
    out = capsys.readouterr()
    assert resumed.successful, resumed.error
    assert "Traceback" not in out.out + out.err
    said = [line for line in (out.out + out.err).splitlines() if "damaged" in line]
    assert len(said) == 1 and f"{step}/0" in said[0] and name in said[0], said
    reused = {}
    for s in ("start", "blob", "array", "join", "end"):
        meta = store.latest_commit(TaskAddress("DamageFlow", resumed.run_id, s, "0")).meta or {}
        reused[s] = "origin" in meta
    other = "array" if step == "blob" else "blob"
    assert reused == {"start": True, other: True, step: False, "join": False, "end": False}
    # the rerun made a sound copy, and the client reads the right value
    data = store.load(
        store.latest_commit(TaskAddress("DamageFlow", resumed.run_id, "join", "0")).artifacts[
            "total"
        ]
    )
    assert data == sum(range(1000)) + float(sum(range(300_000)))
