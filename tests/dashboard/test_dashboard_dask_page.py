"""/dflow as a page of the Dask dashboard, and the report of a cluster run, in chromium.

The page is checked three ways: its HTML as the server sends it (no script has run: the
page is not empty before its first poll), the DOM after its live updates, and screenshots
kept under tests/artifacts/ (git-ignored) during a 1,000-task foreach.
"""

from __future__ import annotations

import urllib.request

import pytest
from browser import ARTIFACTS, dump_dom, elements, screenshot
from dashkit import REPORT_FLOWS, BackgroundRun, find_run, get_json, wait_for
from dask.utils import key_split
from distributed import Client, Event
from distributed.utils import color_of
from zoo import zoo_path

from dflow.report import build_report

pytestmark = pytest.mark.cluster

STEPS = ["start", "left", "right", "join_branches", "fan", "collect", "end"]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode()


@pytest.fixture(scope="module")
def failed_run(cluster, tmp_path_factory):
    """ReportFlow on the cluster with explode=True: a branch, a foreach, a retried attempt
    and a failure that ends the run before collect and end. Yields (store, result)."""
    lc, _ = cluster
    store = str(tmp_path_factory.mktemp("dash-report") / "store")
    result = BackgroundRun(
        REPORT_FLOWS / "report_flow.py",
        "ReportFlow",
        lc.scheduler_address,
        store,
        {"explode": True},
    ).result()
    assert result.status == "failed"
    return store, result


def _check_run_section(dom: str, key: str) -> None:
    section = elements(dom, "section", "run-detail", data_run=key)
    assert section, f"run {key} is not drawn in full"
    nodes = {n["attrs"]["data-step"]: n for n in elements(dom, "g", "node")}
    assert list(nodes) == STEPS  # the flow's graph, every step
    assert nodes["collect"]["attrs"]["class"] == "node unreached"
    assert nodes["end"]["attrs"]["class"] == "node unreached"
    assert nodes["fan"]["attrs"]["class"] == "node failed"
    assert nodes["fan"]["attrs"]["data-done"] == "3"
    bars = elements(dom, "span", "progress")
    assert len(bars) >= 1 + len(STEPS)  # the runs table and every step row
    done = elements(dom, "span", "done")
    assert done and "background:" in done[0]["attrs"]["style"]
    failures = [f["text"] for f in elements(dom, "span", "failure")]
    assert any("fan/2 attempt 0 failed on worker" in f and "ValueError" in f for f in failures)
    assert any("right/0 attempt 0" in f for f in failures)
    assert "tcp://" not in " ".join(failures)  # workers named as Dask names them
    traces = " ".join(t["text"] for t in elements(dom, "pre", "traceback"))
    assert "item 2 exploded on purpose" in traces
    assert elements(dom, "a", href="tasks"), "a link to Dask's task stream"


def test_page_is_a_dask_page_drawn_before_its_first_poll(cluster, failed_run):
    """What the server sends, before any script ran (no chromium needed)."""
    _, base = cluster
    _, result = failed_run
    key = f"ReportFlow/{result.run_id}"
    raw = _get(f"{base}/dflow")  # what the server sends: no script has run yet
    nav = elements(raw, "div", "navbar")
    assert nav, "the page has the Dask dashboard's navigation bar"
    links = [a["attrs"].get("href") for a in elements(raw, "a")]
    assert {"status", "workers", "tasks", "dflow"} <= set(links)
    assert any(
        h and "statics/css/base.css" in h
        for h in [e["attrs"].get("href") for e in elements(raw, "link")]
    )
    assert elements(raw, "tr", "run", data_run=key)
    _check_run_section(raw, key)
    # Dask's own pages list dflow in their navigation bar
    assert 'href="dflow"' in _get(f"{base}/status")


def test_page_in_chromium_before_and_after_its_first_poll(cluster, failed_run, chrome_dir):
    _, base = cluster
    _, result = failed_run
    key = f"ReportFlow/{result.run_id}"
    early = dump_dom(f"{base}/dflow", user_data_dir=chrome_dir, budget_ms=100)
    _check_run_section(early, key)
    first = elements(early, "div", id="dflow-page")[0]["attrs"]["data-updated"]
    late = dump_dom(f"{base}/dflow", user_data_dir=chrome_dir, budget_ms=4000)
    _check_run_section(late, key)
    assert elements(late, "div", id="dflow-page")[0]["attrs"]["data-updated"] != first
    shot = screenshot(  # the failed run: its unreached steps grey, its failures listed
        f"{base}/dflow?run=ReportFlow%2F{result.run_id}",
        ARTIFACTS / "dashboard_failed_run.png",
        user_data_dir=chrome_dir,
        size="1400,1400",
    )
    assert shot.stat().st_size > 10_000


def test_report_of_a_cluster_run_with_branch_foreach_retry_and_failure(failed_run, chrome_dir):
    store, result = failed_run
    report = build_report(result.flow_name, result.run_id, store=store)
    path = report.save(chrome_dir.parent / "cluster-report.html")
    dom = dump_dom(path.as_uri(), user_data_dir=chrome_dir)
    nodes = {n["attrs"]["data-step"]: n["attrs"]["class"] for n in elements(dom, "g", "node")}
    assert list(nodes) == STEPS
    assert nodes["collect"] == nodes["end"] == "node unreached"
    assert nodes["fan"] == "node failed" and nodes["right"] == "node succeeded"
    retry = elements(dom, "rect", "tl-item", data_step="right", data_attempt="1")
    assert "retry" in retry[0]["attrs"]["class"].split()
    assert "worker " in retry[0]["text"] and "tcp://" not in retry[0]["text"]
    tasks = " ".join(t["text"] for t in elements(dom, "table", "tasks"))
    assert "worker 0" in tasks or "worker 1" in tasks
    assert "tcp://" not in tasks
    failure = elements(dom, "div", "failure", data_step="fan", data_task="2")[0]["text"]
    assert "failed the run" in failure and "item 2 exploded on purpose" in failure
    assert "1 task ·" in elements(dom, "section", "step", data_step="left")[0]["text"]
    shot = screenshot(
        path.as_uri(),
        ARTIFACTS / "report_branch_foreach_retry_failure.png",
        user_data_dir=chrome_dir,
        size="1400,2200",
    )
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_page_during_a_1000_task_foreach(cluster, tmp_path, chrome_dir):
    lc, base = cluster
    store = str(tmp_path / "store")
    with Client(lc) as client:
        gate = Event("dflow-dashboard-big-gate", client=client)
        run = BackgroundRun(
            zoo_path("big_foreach.py"),
            "BigForeachFlow",
            lc.scheduler_address,
            store,
            {"gate": gate.name, "flaky": True},
        )
        try:

            def half_done():
                """half of the 1,000 work tasks are done, the gated ones still running"""
                found = find_run(get_json(f"{base}/dflow/api/runs"), "BigForeachFlow")
                steps = {s["step"]: s for s in found["steps"]} if found else {}
                work = steps.get("work", {})
                return found if work.get("done", 0) >= 500 and work.get("running") else None

            live = wait_for(half_done, timeout=120)
            key = f"BigForeachFlow/{live['run_id']}"
            dom = dump_dom(f"{base}/dflow", user_data_dir=chrome_dir, budget_ms=1500)
            assert elements(dom, "section", "run-detail", data_run=key)
            nodes = {n["attrs"]["data-step"]: n for n in elements(dom, "g", "node")}
            assert nodes["work"]["attrs"]["class"] == "node running"
            assert int(nodes["work"]["attrs"]["data-done"]) >= 500
            assert nodes["join"]["attrs"]["class"] == "node waiting"
            # counts are in tasks though each Dask key carries a batch of ~63 of them:
            # every submitted task is done, failed (before its retry), running or waiting
            section = dom.split(f'data-run="{key}"', 1)[1].split("</section>", 1)[0]
            row = section.split('<tr data-step="work">', 1)[1].split("</tr>", 1)[0]
            cells = {
                c: int(elements(row, "td", c)[0]["text"])
                for c in ("n-done", "n-running", "n-waiting", "n-failed")
            }
            assert sum(cells.values()) == 1000, cells
            # a key the scheduler has handed to a worker ("processing") runs one task at
            # a time; the 1,000 tasks sit in 16 keys
            assert 1 <= cells["n-running"] <= 16 and cells["n-waiting"] >= 4
            assert "running for" in elements(dom, "small", "elapsed")[0]["text"]
            flaky = [f["text"] for f in elements(dom, "span", "failure")]
            assert any("flaky on purpose" in f for f in flaky)
            assert any(f.startswith("(retried: attempt 1 succeeded) work/") for f in flaky)
            # each step in the colour Dask's task stream gives its keys (color_of of the
            # key prefix): its bar and its box in the graph; links from a step to its
            # live tasks' Dask info pages
            colour = color_of(key_split(f"BigForeachFlow.work-{live['run_id']}-0"))
            assert f"background:{colour}" in row
            box = section.split('data-step="work"', 1)[1].split("</g>", 1)[0]
            assert f"stroke:{colour}" in box and f"fill:{colour}" in box
            join_href = next(
                a["attrs"]["href"]
                for a in elements(section, "a", "task-link")
                if ".join-" in a["text"]
            )
            assert f"BigForeachFlow.join-{live['run_id']}-0" in _get(f"{base}/{join_href}")
            screenshot(
                f"{base}/dflow",
                ARTIFACTS / "dashboard_1000_foreach.png",
                user_data_dir=chrome_dir,
                budget_ms=1500,
            )
        finally:
            gate.set()
        result = run.result(timeout=180)
    assert result.status == "succeeded"
    done = find_run(get_json(f"{base}/dflow/api/runs"), "BigForeachFlow", result.run_id)
    assert {s["step"]: s["done"] for s in done["steps"]}["work"] == 1000
