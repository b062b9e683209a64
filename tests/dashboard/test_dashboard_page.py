"""The /dflow page on a real scheduler: JSON over urllib, pages in headless chromium."""

from __future__ import annotations

import dask
import pytest
from browser import ARTIFACTS, dump_dom, elements, screenshot
from dashkit import FLOWS, REPORT_FLOWS, BackgroundRun, find_run, get_json, wait_for
from distributed import Client, Event, LocalCluster
from zoo import zoo_path

pytestmark = pytest.mark.cluster


def _row_counts(dom: str, run_key: str) -> tuple[str, dict]:
    """Status and per-step counts of the run ``Flow/run_id`` in a rendered /dflow page."""
    rows = elements(dom, "tr", "run", data_run=run_key)
    assert rows, f"run {run_key} is not listed on the page"
    status = rows[0]["text"]
    steps = {}
    for row in elements(dom, "tr"):
        step = row["attrs"].get("data-step")
        if step:
            steps.setdefault(step, row["text"])
    return status, steps


def test_page_lists_a_run_and_follows_it_live(cluster, tmp_path, chrome_dir):
    lc, base = cluster
    store = str(tmp_path / "store")
    with Client(lc) as client:
        gate = Event("dflow-dashboard-test-gate", client=client)
        run = BackgroundRun(
            zoo_path("gated_foreach.py"),
            "GatedFlow",
            lc.scheduler_address,
            store,
            {"gate": gate.name},
        )
        try:

            def hold_running():
                """the three hold tasks are running"""
                found = find_run(get_json(f"{base}/dflow/api/runs"), "GatedFlow")
                steps = {s["step"]: s for s in found["steps"]} if found else {}
                return found if steps.get("hold", {}).get("running") == 3 else None

            live = wait_for(hold_running)
            assert live["status"] == "running" and live["store"] == store
            assert [s["step"] for s in live["steps"]] == ["start", "hold", "join", "end"]
            assert live["steps"][0]["done"] == 1
            key = f"GatedFlow/{live['run_id']}"

            dom = dump_dom(f"{base}/dflow", user_data_dir=chrome_dir)
            status, steps = _row_counts(dom, key)
            assert "running" in status
            hold = elements(dom, "tr", data_step="hold")[0]
            running = [e for e in elements(dom, "td", "n-running") if e["text"] == "3"]
            assert running and "hold" in hold["text"]
            screenshot(
                f"{base}/dflow", ARTIFACTS / "dashboard_running.png", user_data_dir=chrome_dir
            )
        finally:
            gate.set()
        result = run.result()
    assert result.status == "succeeded"

    done = find_run(get_json(f"{base}/dflow/api/runs"), "GatedFlow", result.run_id)
    assert done["status"] == "succeeded"
    assert {s["step"]: s["done"] for s in done["steps"]} == {
        "start": 1,
        "hold": 3,
        "join": 1,
        "end": 1,
    }
    dom = dump_dom(f"{base}/dflow", user_data_dir=chrome_dir)
    status, _ = _row_counts(dom, f"GatedFlow/{result.run_id}")
    assert "succeeded" in status
    link = elements(dom, "a", href=f"dflow?run=GatedFlow%2F{result.run_id}")
    assert link, "the run links to its detail view"


def test_detail_view_shows_retries_and_the_store_record(cluster, tmp_path, chrome_dir):
    lc, base = cluster
    store = str(tmp_path / "store")
    result = BackgroundRun(
        REPORT_FLOWS / "report_flow.py", "ReportFlow", lc.scheduler_address, store, {"scale": 5}
    ).result()
    assert result.status == "succeeded"
    detail = get_json(f"{base}/dflow/api/run/ReportFlow/{result.run_id}")
    right = next(s for s in detail["steps"] if s["step"] == "right")
    assert (right["done"], right["failed"], right["failed_attempts"]) == (1, 0, 1)
    assert detail["record"]["parameters"] == {"scale": 5, "explode": False}
    assert len(detail["events"]) == 11
    assert {e["worker"] for e in detail["events"]} <= set(lc.scheduler_info["workers"])

    url = f"{base}/dflow/run/ReportFlow/{result.run_id}"  # redirects to /dflow?run=...
    dom = dump_dom(url, user_data_dir=chrome_dir)
    assert '"scale":5' in elements(dom, "div", id="record")[0]["text"]
    failures = elements(dom, "span", "failure")
    assert len(failures) == 1 and "right/0 attempt 0 failed on worker" in failures[0]["text"]
    assert failures[0]["text"].startswith("(retried: attempt 1 succeeded) ")
    assert "RuntimeError: flaky on purpose" in failures[0]["text"]
    trace = elements(dom, "pre", "traceback")[0]["text"]
    assert 'raise RuntimeError("flaky on purpose' in trace
    done = {e["attrs"]["data-step"]: e for e in elements(dom, "tr") if "data-step" in e["attrs"]}
    assert set(done) == {"start", "left", "right", "join_branches", "fan", "collect", "end"}
    assert [c["text"] for c in elements(dom, "td", "n-done")] == ["1", "1", "1", "1", "4", "1", "1"]
    screenshot(url, ARTIFACTS / "dashboard_run.png", user_data_dir=chrome_dir)


@pytest.mark.filterwarnings("ignore:current.card. step .plain. has no @card")
def test_detail_view_shows_the_runs_cards(cluster, tmp_path, chrome_dir):
    """The cards a run's tasks rendered (Metaflow's @card) are on its /dflow view."""
    lc, base = cluster
    parity = FLOWS.parents[1] / "parity" / "flows" / "cards.py"
    result = BackgroundRun(
        parity, "CardFlow", lc.scheduler_address, str(tmp_path / "store"), {}
    ).result()
    assert result.status == "succeeded"
    dom = dump_dom(f"{base}/dflow?run=CardFlow%2F{result.run_id}", user_data_dir=chrome_dir)
    cards = elements(dom, "div", "cards")
    assert cards and "start/0 · default" in cards[0]["text"]
    assert "end/0 · blank · summary" in cards[0]["text"]
    frames = {f["attrs"].get("sandbox"): f["attrs"]["srcdoc"] for f in elements(dom, "iframe")}
    assert set(frames) == {"allow-scripts"}  # each card sandboxed, apart from the page
    shown = " ".join(f["attrs"]["srcdoc"] for f in elements(dom, "iframe"))
    assert "<h1>Model report</h1>" in shown and "<script>alert" not in shown  # escaped


def test_a_refreshed_card_is_shown_live_until_its_task_commits(cluster, tmp_path):
    """current.card.refresh() in a running step: /dflow shows that card, marked live,
    while the step runs; once the task commits, its final card replaces it."""
    lc, base = cluster
    with Client(lc) as client:
        gate = Event("dflow-dashboard-live-card-gate", client=client)
        run = BackgroundRun(
            FLOWS / "live_card_flow.py",
            "LiveCardFlow",
            lc.scheduler_address,
            str(tmp_path / "store"),
            {"gate": gate.name},
        )
        try:

            def live_card():
                """the running start step's refreshed card is on the page"""
                found = find_run(get_json(f"{base}/dflow/api/runs"), "LiveCardFlow")
                if not found:
                    return None
                url = f"{base}/dflow/api/content?run=LiveCardFlow%2F{found['run_id']}"
                html = get_json(url)["html"]
                return (found, html) if "half way" in html else None

            found, html = wait_for(live_card)
            assert found["status"] == "running"
            assert "start/0 · blank · live (attempt 0)" in html and "all done" not in html
        finally:
            gate.set()
        result = run.result()
    assert result.status == "succeeded"
    url = f"{base}/dflow/api/content?run=LiveCardFlow%2F{result.run_id}"
    html = get_json(url)["html"]
    assert "all done" in html and "half way" not in html and "live (attempt" not in html
    assert "start/0 · blank" in html


def test_unknown_run_is_a_404(cluster):
    import urllib.error

    _, base = cluster
    with pytest.raises(urllib.error.HTTPError) as info:
        get_json(f"{base}/dflow/api/run/NoFlow/123")
    assert info.value.code == 404


def test_routes_config_without_preload(tmp_path):
    """``distributed.scheduler.http.routes`` + dflow.dashboard serves the page; the first
    visit installs the plugin, which catches up with runs from the event log."""
    routes = [*dask.config.get("distributed.scheduler.http.routes"), "dflow.dashboard"]
    store = str(tmp_path / "store")
    with (
        dask.config.set({"distributed.scheduler.http.routes": routes}),
        LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as lc,
    ):
        base = lc.dashboard_link.rsplit("/", 1)[0]
        assert "dflow-dashboard" not in lc.scheduler.plugins
        first = BackgroundRun(
            zoo_path("gated_foreach.py"), "GatedFlow", lc.scheduler_address, store, {}
        ).result()
        assert find_run(get_json(f"{base}/dflow/api/runs"), "GatedFlow", first.run_id)
        assert "dflow-dashboard" in lc.scheduler.plugins
        second = BackgroundRun(
            zoo_path("gated_foreach.py"), "GatedFlow", lc.scheduler_address, store, {}
        ).result()
        doc = get_json(f"{base}/dflow/api/runs")
        for res in (first, second):
            run = find_run(doc, "GatedFlow", res.run_id)
            assert run["status"] == "succeeded"
            assert {s["step"]: s["done"] for s in run["steps"]}["hold"] == 3
