"""Report building blocks: sizes, timeline lanes (previews: tests/client/test_previews.py)."""

from __future__ import annotations

from dflow.report.collect import RunData, StepData, TaskData
from dflow.report.page import _size
from dflow.report.timeline import (
    MAX_SUB_LANES,
    MIN_BAR_W,
    PLOT_W,
    place_items,
    render_timeline_svg,
)
from dflow.store.attempts import AttemptInfo


def test_artifact_sizes_are_written_as_dask_writes_them():
    assert _size(1536) == "1.50 kiB" and _size(10) == "10 B" and _size(None) == "-"


def _attempt(n, start, end, worker, status="succeeded"):
    return AttemptInfo(n, status, start, end, end - start, host="host", pid=1, worker=worker)


def test_overlapping_attempts_of_one_step_get_their_own_sub_lanes():
    tasks = (
        TaskData("s", "0", (_attempt(0, 0.0, 2.0, "w1"),), ()),
        TaskData(
            "s", "1", (_attempt(0, 1.0, 3.0, "w1", "failed"), _attempt(1, 3.0, 4.0, "w1")), ()
        ),
        TaskData("s", "2", (_attempt(0, 2.5, 3.5, "w1"),), ()),
    )
    other = (TaskData("t", "3", (_attempt(0, 0.5, 1.0, "w2"),), ()),)
    run = RunData("F", "1", {}, (StepData("s", tasks), StepData("t", other)))
    items, lanes = place_items(run)
    assert lanes == ["s", "t"]  # one row per step, in order of first start
    subs = {(i.task_id, i.attempt.attempt): i.sub for i in items}
    assert subs == {("0", 0): 0, ("1", 0): 1, ("2", 0): 0, ("1", 1): 1, ("3", 0): 0}
    svg = render_timeline_svg(run)
    assert svg.count('class="tl-item') == 5
    assert svg.count('class="tl-item failed"') == 1 and svg.count("retry") == 1


def test_timeline_reads_from_one_task_to_ten_thousand():
    one = RunData(
        "F", "1", {}, (StepData("s", (TaskData("s", "0", (_attempt(0, 0, 1e-4, "w"),), ()),)),)
    )
    svg = render_timeline_svg(one)
    width = float(svg.split('class="tl-item')[1].split('width="')[1].split('"')[0])
    assert width >= MIN_BAR_W  # a 0.1 ms task is still a visible bar
    assert "s · 1 task<" in svg  # singular
    many = tuple(
        TaskData("w", str(i), (_attempt(0, i * 0.01, i * 0.01 + 0.04, f"w{i % 4}"),), ())
        for i in range(10_000)
    )
    failed = TaskData("w", "x", (_attempt(0, 5.0, 5.5, "w1", "failed"),), ())
    big = RunData("F", "1", {}, (StepData("w", (*many, failed)),))
    svg = render_timeline_svg(big)
    assert "w · 10001 tasks" in svg
    assert svg.count('class="tl-item') == 1  # the failure, drawn on its own
    assert 0 < svg.count('class="tl-density"') <= PLOT_W // 2
    assert len(svg) < 400_000
    items, _ = place_items(big)
    assert max(i.sub for i in items) < MAX_SUB_LANES


def test_worker_names_are_shown_as_dask_shows_them():
    a = AttemptInfo(0, "succeeded", host="h", pid=1, worker="tcp://127.0.0.1:4001", worker_name="0")
    assert a.where == "worker 0"
    b = AttemptInfo(0, "succeeded", host="h", pid=1, worker="tcp://127.0.0.1:4001")
    assert b.where == "127.0.0.1:4001"
    assert AttemptInfo(0, "succeeded", host="h", pid=7).where == "h pid 7"


def test_a_run_recorded_without_its_graph_falls_back_to_the_tasks():
    from dflow.report.page import render_page

    tasks = (TaskData("start", "0", (_attempt(0, 0.0, 1.0, "w1"),), ()),)
    ends = (TaskData("end", "0", (_attempt(0, 1.0, 2.0, "w1"),), ("start/0",)),)
    run = RunData(
        "F", "1", {"status": "succeeded"}, (StepData("start", tasks), StepData("end", ends))
    )
    page = render_page(run)
    assert "rebuilt from the tasks" in page
    assert page.count('<g class="node succeeded"') == 2 and 'class="node unreached"' not in page


def test_a_recorded_graph_draws_the_steps_no_task_reached():
    from zoo import load_zoo

    from dflow.graph import build_graph
    from dflow.graph.record import graph_to_record
    from dflow.report.page import render_page

    record = {"status": "failed", "graph": graph_to_record(build_graph(load_zoo("good_branch.py")))}
    tasks = (TaskData("start", "0", (_attempt(0, 0.0, 1.0, "w1", "failed"),), ()),)
    page = render_page(RunData("BranchFlow", "1", record, (StepData("start", tasks),)))
    assert page.count('class="node unreached"') == 4  # a, b, join and end
    assert page.count('class="step unreached"') == 4
    assert "4 steps not reached" in page
