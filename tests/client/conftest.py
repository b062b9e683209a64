"""Fixtures of the client tests: stores holding real runs made with the sync scheduler.

Runs are made once per test module (``scheduler="sync"``: in-process and deterministic)
by users chosen through METAFLOW_USER, so namespaces are known. Every test starts and
ends with the client's default context reset (default store and namespace).
"""

from collections.abc import Iterator

import pytest
from clientkit import make_run  # noqa: F401 - kept importable from here


@pytest.fixture(autouse=True)
def _fresh_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Reset the client's default store and namespace around every test."""
    from dflow.client import default_namespace, set_store

    monkeypatch.setenv("METAFLOW_USER", "alice")
    monkeypatch.delenv("DFLOW_NAMESPACE", raising=False)
    monkeypatch.delenv("DFLOW_STORE", raising=False)
    set_store(None)
    default_namespace()
    yield
    set_store(None)
    default_namespace()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A store with runs of several flows: ids and store URL, by name.

    - ``foreach``: ForeachFlow (zoo) by alice, tagged ``t1``
    - ``params_old`` / ``params``: ParamsFlow by alice (alpha 0.3, then 0.7)
    - ``params_bob``: ParamsFlow by bob, tagged ``shared``, newest of all
    - ``failed``: FailingFlow by alice; ``retry``: RetryFlow; ``array``: ArrayFlow
    """
    import dask.config
    from client_flows import ArrayFlow, FailingFlow, ParamsFlow, RetryFlow
    from zoo import load_zoo

    store = str(tmp_path_factory.mktemp("client-store") / "store")
    found = {"store": store}
    found["foreach"] = make_run(load_zoo("good_foreach.py"), store, tags=("t1",)).run_id
    found["params_old"] = make_run(ParamsFlow, store, {"alpha": 0.3}).run_id
    found["params"] = make_run(ParamsFlow, store, {"alpha": 0.7}).run_id
    found["params_bob"] = make_run(
        ParamsFlow, store, {"alpha": 5.0}, user="bob", tags=("shared",)
    ).run_id
    result = make_run(FailingFlow, store)
    assert result.status == "failed"
    found["failed"] = result.run_id
    found["retry"] = make_run(RetryFlow, store).run_id
    with dask.config.set({"dflow.store.array-chunk-bytes": 800_000}):
        found["array"] = make_run(ArrayFlow, store).run_id
    return found
