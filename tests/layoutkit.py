"""Runs in the store's older layout 1, for the tests that keep it readable everywhere.

dflow writes layout 2 (an attempt's commit is one DONE object holding its manifest and
record, see dflow.store.commits); stores written before hold layout 1 (record.json,
manifest.json and a DONE naming the manifest's digest). :func:`downgrade_run` rewrites a
run's files into layout 1 byte for byte as the old writer wrote them (tests/store/
test_golden.py checks that against tests/golden/store/layout_v1.json), so a test can make
a layout-1 run by running a flow and downgrading it.
"""

from __future__ import annotations

import json
from typing import Any

from dflow.store import Store, TaskAddress
from dflow.store.commits import dump_json
from dflow.store.keys import digest
from dflow.store.taskindex import INDEX_DIR, index_doc


def v1_files(t: TaskAddress, attempt: int, commit: dict) -> dict[str, bytes]:
    """The layout-1 files (name -> bytes) of attempt ``attempt`` of ``t`` whose layout-2
    commit is ``commit``: manifest.json, DONE, and record.json if the commit has a record."""
    doc = {
        "layout": 1,
        "pathspec": t.pathspec,
        "attempt": attempt,
        "artifacts": commit["artifacts"],
        "meta": commit["meta"],
    }
    manifest = dump_json(doc, "manifest")
    files = {
        "manifest.json": manifest,
        "DONE": dump_json({"layout": 1, "manifest": digest(manifest)}, "DONE"),
    }
    if "record" in commit:
        files["record.json"] = dump_json({**commit["record"], "layout": 1}, "record")
    return files


def _relayout(store: Store, rel: str) -> bytes | None:
    """Rewrite the JSON record at ``rel`` with "layout": 1; its new bytes (None if absent)."""
    try:
        doc = json.loads(store.io.read(rel))
    except FileNotFoundError:
        return None
    data = dump_json({**doc, "layout": 1}, rel)
    store.io.write(rel, data)
    return data


def downgrade_run(store: Store, flow: str, run_id: str) -> None:
    """Rewrite run ``flow/run_id`` of ``store`` into layout 1 (see the module docstring)."""
    run_dir = store.records.run_dir(flow, run_id)
    files = store.io.find(run_dir)
    rewritten: dict[str, bytes] = {}
    for rel in files:
        parts = rel.split("/")
        path = f"{run_dir}/{rel}"
        if parts[0] != "steps" or len(parts) != 5:
            continue
        _, step, task_id, number, name = parts
        if name == "record.json":
            rewritten[rel] = _relayout(store, path) or b""
        elif name == "started.json":
            _relayout(store, path)
        elif name == "DONE":
            commit: dict[str, Any] = json.loads(store.io.read(path))
            if commit.get("layout") != 2:
                continue
            t = TaskAddress(flow, run_id, step, task_id)
            for file, data in v1_files(t, int(number), commit).items():
                store.io.write(f"{run_dir}/steps/{step}/{task_id}/{number}/{file}", data)
                rewritten[f"steps/{step}/{task_id}/{number}/{file}"] = data
    for rel in ("run.json", "heartbeat.json"):
        _relayout(store, f"{run_dir}/{rel}")
    for rel in files:  # the task index: the same files, in their layout-1 bytes
        if not rel.startswith(f"{INDEX_DIR}/"):
            continue
        doc = json.loads(store.io.read(f"{run_dir}/{rel}"))
        written = {}
        for inner in doc["files"]:
            base = inner.rsplit("/", 1)[0]
            for name in ("DONE", "manifest.json", "record.json"):
                if f"{base}/{name}" in rewritten:
                    written[f"{run_dir}/{base}/{name}"] = rewritten[f"{base}/{name}"]
        store.io.write(f"{run_dir}/{rel}", index_doc(run_dir, written))


def commit_v1(
    store: Store,
    t: TaskAddress,
    attempt: int,
    artifacts: dict,
    meta: dict | None = None,
    record: dict | None = None,
) -> None:
    """Commit attempt ``attempt`` of ``t`` as the layout-1 writer did: manifest.json, DONE,
    then record.json (if ``record``), each noted for a task index being gathered."""
    commit: dict[str, Any] = {
        "artifacts": {name: ref.to_dict() for name, ref in sorted(artifacts.items())},
        "meta": dict(meta or {}),
    }
    if record is not None:
        commit["record"] = record
    base = f"{store.records.run_dir(t.flow, t.run_id)}/steps/{t.step}/{t.task_id}/{attempt}"
    files = v1_files(t, attempt, commit)
    for name in ("manifest.json", "DONE", "record.json"):
        if name in files:
            store.io.write(f"{base}/{name}", files[name])
            store.records.journal.note(f"{base}/{name}", files[name])
