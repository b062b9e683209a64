"""Run ids cannot collide: each is claimed exclusively in the store, still sorted by time."""

from __future__ import annotations

import threading

import pytest
from zoo import __file__ as zoo_init

from dflow.engine.launch import RunOptions, run_flow
from dflow.flowfile import load_flow
from dflow.store import open_store
from dflow.store.runids import claim_run_id

ZOO = zoo_init.rsplit("/", 1)[0]


def _claim_all(store, clock, n: int = 16) -> list[str]:
    barrier = threading.Barrier(n)
    ids: list[str] = []
    lock = threading.Lock()

    def claim() -> None:
        barrier.wait()
        rid = claim_run_id(store, "SomeFlow", clock=clock)
        with lock:
            ids.append(rid)

    threads = [threading.Thread(target=claim) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ids


@pytest.mark.parametrize("kind", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_sixteen_claims_in_the_same_microsecond_get_distinct_ids(kind, tmp_path, request):
    if kind == "s3":
        url, options = request.getfixturevalue("s3_store_url")
        store = open_store(url, options)
    else:
        store = open_store(str(tmp_path / "store"))
    frozen = 1764203961123456789  # every claimer reads the same clock
    ids = _claim_all(store, lambda: frozen)
    assert len(set(ids)) == 16
    assert all(rid.isdigit() and len(rid) == 16 for rid in ids)
    assert min(int(r) for r in ids) == frozen // 1000


def test_ids_sort_by_time(store_url):
    store = open_store(store_url)
    ticks = iter([3_000_000_000_000_000, 2_000_000_000_000_000, 4_000_000_000_000_000])
    first = claim_run_id(store, "F", clock=lambda: next(ticks))
    second = claim_run_id(store, "F", clock=lambda: next(ticks))  # the clock went back
    third = claim_run_id(store, "F", clock=lambda: next(ticks))
    assert first < third and second != first


@pytest.mark.parametrize("kind", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_sixteen_runs_started_at_once_on_one_store_are_all_listed(kind, store_url, request):
    from dflow.client import ClientContext, Flow

    options: dict = {}
    if kind == "s3":
        store_url, options = request.getfixturevalue("s3_store_url")
    cls = load_flow(f"{ZOO}/good_linear.py:LinearFlow")
    barrier = threading.Barrier(16)
    results, errors = [], []

    def go() -> None:
        barrier.wait()
        try:
            results.append(
                run_flow(
                    cls,
                    {},
                    RunOptions(
                        store=store_url, store_options=options, scheduler="sync", quiet=True
                    ),
                )
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = {r.run_id for r in results}
    assert len(ids) == 16 and all(r.successful for r in results)
    listed = {e.run_id for e in open_store(store_url, options).list_runs("LinearFlow")}
    assert listed == ids
    context = ClientContext(store_url, options, namespace=None)
    assert {r.id for r in Flow("LinearFlow", context).runs()} == ids
