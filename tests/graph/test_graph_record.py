"""The graph's JSON form in the run record: round trip on every good zoo flow, and a
golden file (tests/golden/store/graph_v1.json) so a format change is a conscious one.

``DFLOW_UPDATE_GOLDEN=1 pytest tests/graph/test_graph_record.py`` rewrites the golden.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from zoo import GOOD_FLOWS, load_zoo

from dflow.graph import build_graph
from dflow.graph.record import GRAPH_RECORD_VERSION, graph_from_record, graph_to_record

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "store" / "graph_v1.json"
UPDATE = os.environ.get("DFLOW_UPDATE_GOLDEN") == "1"


def _portable(doc: dict) -> dict:
    """The record with file paths cut to their names (the golden holds no tmp paths)."""
    doc = json.loads(json.dumps(doc))
    doc["file"] = Path(doc["file"]).name
    for step in doc["steps"]:
        step["file"] = Path(step["file"]).name
    return doc


@pytest.mark.parametrize("name", sorted(GOOD_FLOWS))
def test_round_trip_gives_the_same_graph(name):
    graph = build_graph(load_zoo(name))
    doc = graph_to_record(graph)
    assert json.loads(json.dumps(doc)) == doc, "the record is plain JSON"
    back = graph_from_record(json.loads(json.dumps(doc)))
    assert back == graph
    assert [s.line for s in back] == [s.line for s in graph]
    assert [d.line for s in back for d in s.decorators] == [
        d.line for s in graph for d in s.decorators
    ]


def test_golden_graph_record():
    docs = {
        name: _portable(graph_to_record(build_graph(load_zoo(name))))
        for name in ("good_branch.py", "good_foreach.py", "good_switch.py", "good_decorators.py")
    }
    if UPDATE:
        GOLDEN.write_text(json.dumps(docs, indent=1, sort_keys=True) + "\n")
    assert docs == json.loads(GOLDEN.read_text()), "the run record's graph form changed"
    assert all(d["version"] == GRAPH_RECORD_VERSION == 1 for d in docs.values())


@pytest.mark.parametrize("doc", [None, {}, {"version": 99, "steps": []}, {"version": 1}])
def test_missing_or_unknown_records_read_as_none(doc):
    assert graph_from_record(doc) is None
