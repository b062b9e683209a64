"""A long history stays cheap: one index listing, run.json read only for runs touched."""

import pytest
from history_records import FLOW, write_history

from dflow.client import ClientContext, Flow
from dflow.store import open_store

COUNT = 1000


@pytest.fixture(scope="module")
def long_history(tmp_path_factory):
    store = open_store(str(tmp_path_factory.mktemp("history") / "store"))
    # newest five runs failed or are running; then two succeeded runs of bob's
    statuses = {
        COUNT - 1: ("failed", "alice"),
        COUNT - 2: ("running", "alice"),
        COUNT - 3: ("failed", "alice"),
        COUNT - 4: ("failed", "bob"),
        COUNT - 5: ("failed", "alice"),
        COUNT - 6: ("succeeded", "bob"),
        COUNT - 7: ("succeeded", "bob"),
    }
    ids = write_history(store, COUNT, statuses)
    return store.url, ids


class Counting:
    """Wraps a store method and counts its calls."""

    def __init__(self, monkeypatch, store, name):
        self.calls = []
        real = getattr(store, name)

        def wrapper(*args, **kwargs):
            self.calls.append(args)
            return real(*args, **kwargs)

        monkeypatch.setattr(store, name, wrapper)


def _context(url, ns="user:alice"):
    context = ClientContext(url, namespace=ns)
    return context, context.store


def test_latest_successful_run_reads_a_few_records(long_history, monkeypatch):
    url, ids = long_history
    context, store = _context(url)
    records = Counting(monkeypatch, store, "read_run_record")
    listings = Counting(monkeypatch, store, "list_runs")
    run = Flow(FLOW, context).latest_successful_run
    assert run.id == ids[COUNT - 8]
    assert run.data.y == COUNT - 8
    assert len(listings.calls) == 1
    # bob's two succeeded runs and the answer; failed/running runs are skipped unread
    assert [c[1] for c in records.calls] == [ids[COUNT - 6], ids[COUNT - 7], ids[COUNT - 8]]


def test_without_a_namespace_nothing_is_read_until_touched(long_history, monkeypatch):
    url, ids = long_history
    context, store = _context(url, ns=None)
    records = Counting(monkeypatch, store, "read_run_record")
    run = Flow(FLOW, context).latest_successful_run
    assert run.id == ids[COUNT - 6] and records.calls == []
    assert run.user == "bob" and len(records.calls) == 1


def test_listing_every_run_is_one_listing_and_lazy(long_history, monkeypatch):
    url, ids = long_history
    context, store = _context(url, ns=None)
    records = Counting(monkeypatch, store, "read_run_record")
    listings = Counting(monkeypatch, store, "list_runs")
    runs = list(Flow(FLOW, context))
    assert [r.id for r in runs] == ids[::-1]
    assert len(listings.calls) == 1 and records.calls == []
    latest = Flow(FLOW, context).latest_run
    assert latest.id == ids[-1] and latest.status == "failed"
