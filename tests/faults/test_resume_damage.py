"""Resume re-verifies what it reuses: a task whose artifacts are damaged runs again.

The damage is done behind dflow's back, through fsspec on the store's own backend (a local
folder, or a bucket of the moto server on 127.0.0.1).
"""

from __future__ import annotations

import fsspec
import pytest
from faultkit import fault_flow, run

from dflow.engine.launch import RunOptions
from dflow.engine.resume import resume_flow
from dflow.store import TaskAddress, open_store


def _blob(root: str, key: str) -> str:
    return f"{root}/objects/{key[:2]}/{key[2:]}"


def _array(root: str, key: str) -> str:
    return f"{root}/arrays/{key[:2]}/{key[2:]}"


def _corrupt(fs, root: str, key: str) -> None:
    data = bytearray(fs.cat_file(_blob(root, key)))
    data[-1] ^= 0xFF
    fs.pipe_file(_blob(root, key), bytes(data))


def _truncate(fs, root: str, key: str) -> None:
    fs.pipe_file(_blob(root, key), fs.cat_file(_blob(root, key))[:-7])


def _delete_a_chunk(fs, root: str, key: str) -> None:
    chunks = sorted(p for p in fs.find(_array(root, key)) if "/c/" in p)
    assert chunks
    fs.rm(chunks[0])


def _delete_marker(fs, root: str, key: str) -> None:
    fs.rm(f"{_array(root, key)}/dflow-complete.json")


DAMAGE = {
    "corrupt blob": ("blob", "value", _corrupt),
    "truncated blob": ("blob", "value", _truncate),
    "deleted chunk": ("array", "arr", _delete_a_chunk),
    "deleted marker": ("array", "arr", _delete_marker),
}


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store_at(request, store_url) -> tuple[str, dict]:
    """``(url, options)`` of a fresh store: a local folder, or a bucket on moto."""
    if request.param == "s3":
        return request.getfixturevalue("s3_store_url")
    return store_url, {}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_resume_reruns_exactly_the_damaged_task_and_what_follows(case, store_at, capsys):
    url, options = store_at
    step, name, damage = DAMAGE[case]
    cls = fault_flow("DamageFlow")
    origin = run(cls, url, store_options=options)
    assert origin.successful, origin.error
    store = open_store(url, options)
    manifest = store.latest_commit(TaskAddress("DamageFlow", origin.run_id, step, "0"))
    fs, root = fsspec.core.url_to_fs(url, **options)
    damage(fs, root, manifest.artifacts[name].key)
    fs.invalidate_cache()

    resumed = resume_flow(
        cls,
        origin.run_id,
        None,
        RunOptions(store=url, store_options=options, scheduler="sync", quiet=False),
    )
    out = capsys.readouterr()
    assert resumed.successful, resumed.error
    assert "Traceback" not in out.out + out.err
    said = [line for line in (out.out + out.err).splitlines() if "damaged" in line]
    assert len(said) == 1 and f"{step}/0" in said[0] and name in said[0], said
    store = open_store(url, options)
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
    rerun = store.latest_commit(TaskAddress("DamageFlow", resumed.run_id, step, "0"))
    again = store.load(rerun.artifacts[name])  # the damaged artifact itself, whole again
    assert list(again) == (list(range(1000)) if step == "blob" else list(range(300_000)))
