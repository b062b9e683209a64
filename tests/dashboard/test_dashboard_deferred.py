"""The dashboard of the cluster a run starts for itself: its link works as printed, while
Dask's Bokeh pages connect on their first visit (dflow.dashboard.deferred)."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request

import pytest
from browser import dump_dom, elements
from dashkit import get_json

from dflow.engine.targets import open_target

pytestmark = pytest.mark.cluster


def _get(url: str) -> tuple[str, str]:
    """The final address (redirects followed) and the body of a GET."""
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.geturl(), resp.read().decode()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The embedded default's target (no recorded cluster, no session): yields its
    dashboard's base address."""
    home = tmp_path_factory.mktemp("no-cluster-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DFLOW_HOME", str(home))
        patch.delenv("DFLOW_SCHEDULER", raising=False)
        with open_target(None, max_workers=1) as target:
            assert target.source == "local"
            yield target.dashboard_link.rsplit("/", 1)[0]


def _answer(url: str) -> tuple[int, str | None]:
    """The status and Location of a GET, redirects not followed."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", parts.path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Location")
    finally:
        conn.close()


def test_pages_connect_on_the_first_visit_and_list_dflow(embedded):
    base = embedded
    assert get_json(f"{base}/dflow/api/runs")["runs"] == []  # the scheduler's own routes
    # not connected at start (no Bokeh import): the first visit connects, then comes back
    assert _answer(f"{base}/status") == (302, "/status")
    assert _answer(f"{base}/status")[0] == 200
    url, body = _get(f"{base}/status")  # what the printed link opens
    assert url == f"{base}/status"
    assert 'href="dflow"' in body and "bokeh" in body.lower()
    url, _ = _get(f"{base}/")
    assert url == f"{base}/status"
    _, page = _get(f"{base}/dflow")
    links = [a["attrs"].get("href") for a in elements(page, "a")]
    assert {"status", "workers", "tasks", "dflow"} <= set(links)
    with pytest.raises(urllib.error.HTTPError) as missing:
        _get(f"{base}/no-such-page")
    assert missing.value.code == 404


def test_the_printed_link_in_chromium_is_a_dask_page(embedded, chrome_dir):
    dom = dump_dom(f"{embedded}/status", user_data_dir=chrome_dir, budget_ms=3000)
    assert elements(dom, "div", "navbar"), "Dask's navigation bar"
    assert [a for a in elements(dom, "a") if a["attrs"].get("href") == "dflow"]
