"""The run report: built from the store, opened offline in a real headless chromium."""

from __future__ import annotations

import re
import time

import pytest
from browser import ARTIFACTS, dump_dom, elements, screenshot
from reportkit import run_flow_file
from zoo import zoo_path

from dflow.report import build_report
from dflow.report.collect import collect_run
from dflow.report.graph import graph_from_tasks
from dflow.store import open_store

STEPS = ["start", "left", "right", "join_branches", "fan", "collect", "end"]


def _no_remote_urls(html: str) -> None:
    urls = re.findall(r"""(?:src|href)\s*=\s*["']?\s*([^"'\s>]+)""", html, flags=re.I)
    remote = [u for u in urls if re.match(r"(?i)(https?:)?//", u)]
    assert remote == [], f"the report fetches {remote}"
    assert not re.search(r"<link\b|<script[^>]*\bsrc=|@import|url\(\s*['\"]?https?:", html, re.I)


def test_graph_is_rebuilt_from_task_records(report_run):
    store, result = report_run
    run = collect_run(open_store(store), result.flow_name, result.run_id)
    graph = graph_from_tasks(run)
    layer = {n.name: n.layer for n in graph.nodes}
    kind = {n.name: n.kind for n in graph.nodes}
    assert layer == {
        "start": 0,
        "left": 1,
        "right": 1,
        "join_branches": 2,
        "fan": 3,
        "collect": 4,
        "end": 5,
    }
    assert set(graph.edges) == {
        ("start", "left"),
        ("start", "right"),
        ("left", "join_branches"),
        ("right", "join_branches"),
        ("join_branches", "fan"),
        ("fan", "collect"),
        ("collect", "end"),
    }
    assert kind["start"] == "start + split"
    assert kind["join_branches"] == "join + foreach"
    assert kind["collect"] == "join"
    assert kind["fan"] == "foreach body" and kind["left"] == "linear"
    assert {n.name: n.tasks for n in graph.nodes}["fan"] == 4


def test_report_renders_offline_in_chromium(report_run, chrome_dir):
    store, result = report_run
    report = build_report(result.flow_name, result.run_id, store=store)
    _no_remote_urls(report.html)
    path = report.save(chrome_dir.parent / "report.html")
    dom = dump_dom(path.as_uri(), user_data_dir=chrome_dir)

    # the inline script ran and saw every timeline bar: 10 tasks, one of them retried
    body = elements(dom, "body")[0]
    assert body["attrs"].get("data-report-ready") == "11"
    # graph: every step is a node, with edges for the branch and the foreach
    assert [n["attrs"]["data-step"] for n in elements(dom, "g", "node")] == STEPS
    edges = {
        (e["attrs"]["data-from"], e["attrs"]["data-to"]) for e in elements(dom, "path", "edge")
    }
    assert ("start", "right") in edges and ("join_branches", "fan") in edges
    # timeline: the failed first attempt of `right` and its successful retry
    bars = elements(dom, "rect", "tl-item")
    assert len(bars) == 11
    failed = elements(dom, "rect", "tl-item", data_step="right", data_attempt="0")
    retry = elements(dom, "rect", "tl-item", data_step="right", data_attempt="1")
    assert "failed" in failed[0]["attrs"]["class"].split()
    assert {"succeeded", "retry"} <= set(retry[0]["attrs"]["class"].split())
    assert len(elements(dom, "rect", "tl-item", data_step="fan")) == 4
    assert "flaky on purpose" in failed[0]["text"]
    # parameters, artifacts with type, size and preview
    params = elements(dom, "table", "params")[0]["text"]
    assert "scale" in params and "3" in params and "explode" in params
    left = elements(dom, "section", "step", data_step="left")[0]["text"]
    assert "matrix" in left and "numpy.ndarray" in left and "shape=(3, 4)" in left
    # per task only what the step set; what it passed on unchanged is named once
    fan = elements(dom, "section", "step", data_step="fan")[0]
    assert "value" in fan["text"] and "numpy.ndarray" not in fan["text"]
    assert fan["text"].count("items") == 1  # in the note only, never a row per task
    inherited = elements(dom, "p", "inherited")
    assert len(inherited) == 5  # once per step that passed values on, not once per task
    assert inherited[3]["text"].endswith("(not repeated per task): items")  # fan
    assert inherited[4]["text"].endswith(": values")  # end
    # plurals, step kinds from the recorded graph, worker names, duration histograms
    assert "left linear · 1 task ·" in left.replace("\n", " ")
    assert "fan linear · 4 tasks" in fan["text"]
    tasks_table = elements(dom, "table", "tasks")[0]["text"]
    assert " pid " in tasks_table and "tcp://" not in tasks_table  # a sync run: host, pid
    assert len(elements(dom, "svg", "histogram")) == 1  # fan: the one step of several tasks
    # failures with the user's traceback, marked as retried
    failure = elements(dom, "div", "failure", data_step="right")[0]["text"]
    assert "RuntimeError" in failure and "retried" in failure
    assert 'raise RuntimeError("flaky on purpose' in failure

    shot = screenshot(path.as_uri(), ARTIFACTS / "report_flow.png", user_data_dir=chrome_dir)
    assert shot.stat().st_size > 10_000


def test_failed_run_report_names_the_failing_task(tmp_path, chrome_dir):
    store = str(tmp_path / "store")
    result = run_flow_file("report_flow.py", "ReportFlow", store, {"explode": True})
    assert result.status == "failed"
    path = build_report(result.flow_name, result.run_id, store=store).save(tmp_path / "f.html")
    dom = dump_dom(path.as_uri(), user_data_dir=chrome_dir)
    assert elements(dom, "span", "badge")[0]["text"] == "failed"
    failure = elements(dom, "div", "failure", data_step="fan", data_task="2")[0]["text"]
    assert "ValueError" in failure and "failed the run" in failure
    assert "item 2 exploded on purpose" in failure
    assert elements(dom, "g", "node", data_step="fan")[0]["attrs"]["class"] == "node failed"
    # the recorded graph draws every step: those the run never reached are grey
    for name in ("collect", "end"):
        node = elements(dom, "g", "node", data_step=name)[0]
        assert node["attrs"]["class"] == "node unreached" and "not reached" in node["text"]
    assert [n["attrs"]["data-step"] for n in elements(dom, "g", "node")] == STEPS
    assert elements(dom, "section", "step", data_step="end")[0]["attrs"]["class"] == (
        "step unreached"
    )
    unreached = [e for e in elements(dom, "path", "edge") if "unreached" in e["attrs"]["class"]]
    assert {(e["attrs"]["data-from"], e["attrs"]["data-to"]) for e in unreached} == {
        ("fan", "collect"),
        ("collect", "end"),
    }


@pytest.mark.slow
def test_report_of_1000_foreach_tasks_renders(tmp_path, chrome_dir):
    store = str(tmp_path / "store")
    result = run_flow_file(zoo_path("big_foreach.py"), "BigForeachFlow", store)
    assert result.status == "succeeded"
    t0 = time.perf_counter()
    report = build_report(result.flow_name, result.run_id, store=store)
    build_s = time.perf_counter() - t0
    path = report.save(tmp_path / "big.html")
    t0 = time.perf_counter()
    dom = dump_dom(path.as_uri(), user_data_dir=chrome_dir, timeout=60)
    render_s = time.perf_counter() - t0
    assert len(elements(dom, "rect", "tl-item", data_step="work")) == 1000
    assert elements(dom, "body")[0]["attrs"]["data-report-ready"] == "1003"
    # previews are capped: artifacts listed for a few tasks of the big step, not 1,000
    work = elements(dom, "section", "step", data_step="work")[0]["text"]
    assert "Artifacts of 995 more tasks not shown" in work
    assert len(report.html) < 2_000_000
    print(
        f"1,000-task report: built in {build_s:.2f} s, {len(report.html)} bytes, "
        f"chromium dump-dom in {render_s:.2f} s"
    )
    screenshot(path.as_uri(), ARTIFACTS / "report_1000.png", user_data_dir=chrome_dir)


def test_timeline_zooms_into_a_span(report_run, chrome_dir):
    """``#zoom=FROM,TO`` (what a drag across the timeline sets) redraws bars and ticks."""
    store, result = report_run
    path = build_report(result.flow_name, result.run_id, store=store).save(
        chrome_dir.parent / "zoom.html"
    )
    whole = dump_dom(path.as_uri(), user_data_dir=chrome_dir)
    bars = {b["attrs"]["data-s"]: b for b in elements(whole, "rect", "tl-item")}
    starts = sorted(float(s) for s in bars)
    lo, hi = starts[3], starts[6]  # a span holding a few of the 11 attempts
    zoomed = dump_dom(f"{path.as_uri()}#zoom={lo},{hi}", user_data_dir=chrome_dir)
    svg = elements(zoomed, "svg", "timeline")[0]
    assert svg["attrs"]["data-zoom"] == f"{lo:.6f},{hi:.6f}"
    shown = [
        b
        for b in elements(zoomed, "rect", "tl-item")
        if "display: none" not in b["attrs"].get("style", "")
    ]
    assert 3 <= len(shown) < 11
    first = next(b for b in shown if float(b["attrs"]["data-s"]) == lo)
    assert abs(float(first["attrs"]["x"]) - float(svg["attrs"]["data-x0"])) < 1
    assert [t["text"] for t in elements(zoomed, "text", "tick")] != [
        t["text"] for t in elements(whole, "text", "tick")
    ]


def test_notebook_view_of_a_run_in_chromium(report_run, chrome_dir):
    """A run's notebook view (what Jupyter shows for ``run``), opened in chromium with its
    folded report unfolded: formatted values, the step table and the report inline."""
    from dflow.client import Run
    from dflow.client.context import ClientContext

    store, result = report_run
    view = Run(result.pathspec, ClientContext(store=store, namespace=None))._repr_html_()
    view = view.replace("<details class='dflow-report'>", "<details class='dflow-report' open>")
    page = chrome_dir.parent / "notebook-view.html"
    page.write_text(f"<!DOCTYPE html><html><body>{view}</body></html>", encoding="utf-8")
    dom = dump_dom(page.as_uri(), user_data_dir=chrome_dir)
    summary = elements(dom, "div", "dflow-object")[0]["text"]
    assert re.search(r"duration\s*[\d.]+ (ms|s)", summary), summary[:400]
    assert "scale" in summary and "explode" in summary  # parameters as a table
    frame = elements(dom, "iframe")
    assert len(frame) == 1 and frame[0]["attrs"]["title"] == f"dflow report {result.pathspec}"
    shot = screenshot(
        page.as_uri(),
        ARTIFACTS / "notebook_run_view.png",
        user_data_dir=chrome_dir,
        size="1200,1400",
    )
    assert shot.stat().st_size > 10_000


#: Appended to a copy of a report by the test below: the laid-out widths of its parts,
#: written into the DOM for --dump-dom to carry out (the report itself is unchanged).
_MEASURE = """<script>window.addEventListener('load', function(){
  var w = {window: window.innerWidth};
  [['timeline','svg.timeline'],['graph','svg.graph'],['tasks','table.tasks'],
   ['artifacts','table.artifacts']].forEach(function(p){
    var e = document.querySelector(p[1]); w[p[0]] = e ? e.getBoundingClientRect().width : -1;});
  document.body.setAttribute('data-widths', JSON.stringify(w));});</script>"""


def test_report_uses_the_page_width(report_run, chrome_dir):
    """The timeline and the tables fill the window, and grow with it (never a fixed third)."""
    import json

    store, result = report_run
    html = build_report(result.flow_name, result.run_id, store=store).html
    page = chrome_dir.parent / "measured.html"
    page.write_text(html.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    for width in (1400, 2000):
        dom = dump_dom(page.as_uri(), user_data_dir=chrome_dir, size=f"{width},900")
        found = json.loads(elements(dom, "body")[0]["attrs"]["data-widths"])
        inner = found["window"]
        assert inner >= width * 0.95, found
        for part in ("timeline", "tasks", "artifacts"):
            assert found[part] >= 0.9 * inner, (part, found)
