"""A switch that loops back (Metaflow 2.18's recursive step, and a switch back to an
earlier step), against Metaflow's documented behaviour: each pass is a new task of the
step, whose artifacts start from the previous pass; the loop ends when the condition
picks the way out; the Client API shows every pass; resume picks up from the latest
successful pass."""

from __future__ import annotations

import json

import pytest
from zoo import load_zoo

from dflow.flowfile import load_flow
from dflow.graph import build_graph
from dflow.graph.render import render
from dflow.report.collect import collect_run
from dflow.report.graph import render_graph_svg, run_graph
from dflow.store import open_store

FLOWS = __file__.rsplit("/", 1)[0] + "/flows"


def _flow(name: str) -> type:
    return load_flow(f"{FLOWS}/loops.py:{name}")


def _run(name: str, store_url: str, **params):
    return _flow(name).run(store=store_url, scheduler="sync", quiet=True, **params)


@pytest.mark.parametrize(("passes", "ids"), [(1, ["0_0"]), (2, ["0_0", "0_1"]), (12, None)])
def test_a_step_that_switches_to_itself_runs_once_per_pass(store_url, passes, ids):
    """Going back 0, 1 and 11 times: one task per pass, ids in pass order."""
    result = load_zoo("good_loop.py").run(
        store=store_url, scheduler="sync", quiet=True, limit=passes
    )
    assert result.successful, result.error
    tasks = list(result.run["loop"])
    expected = ids or [f"0_{i}" for i in range(passes)]
    assert [t.id for t in tasks] == expected  # "0_10" after "0_9"
    assert [t.data.x for t in tasks] == list(range(1, passes + 1))
    assert [t.data.again for t in tasks] == [True] * (passes - 1) + [False]
    # artifacts flow from the previous pass: each pass appended to what it inherited
    assert tasks[-1].data.seen == list(range(1, passes + 1))
    assert result.run.data.final == passes
    assert [len(t.parent_tasks) for t in tasks] == [1] * passes
    assert tasks[0].parent_tasks[0].pathspec.endswith("/start/0")
    assert [t.parent_tasks[0].id for t in tasks[1:]] == expected[:-1]
    assert result.run["end"].task.parent_tasks[0].id == expected[-1]
    assert all(t.index is None for t in tasks)  # not inside a foreach
    assert result.run.finished and result.run.successful


def test_a_switch_back_to_an_earlier_step_repeats_the_steps_between(store_url):
    result = _run("BackToEarlierFlow", store_url)
    assert result.successful, result.error
    run = result.run
    # 10, 20, 30: the third pass reaches 60 and leaves
    assert run.data.total == 60 and run.data.history == [10, 20, 30]
    for step in ("fetch", "train", "decide"):
        assert [t.id for t in run[step]] == ["0_0", "0_1", "0_2"]
    assert [t.data.batch for t in run["fetch"]] == [1, 2, 3]
    assert run["fetch"]["0_1"].parent_tasks[0].pathspec == run["decide"]["0_0"].pathspec


def test_a_foreach_and_its_join_inside_a_loop(store_url):
    result = _run("ForeachInLoopFlow", store_url)
    assert result.successful, result.error
    run = result.run
    assert [t.data.values for t in run["gather"]] == [[1, 11], [2, 12, 22], [3, 13, 23, 33]]
    ids = sorted(t.id for t in run["work"])
    assert ids == sorted(["0_0", "1_0", "0_1", "1_1", "2_1", "0_2", "1_2", "2_2", "3_2"])
    assert {t.id: t.index for t in run["work"]}["3_2"] == 3


def test_a_loop_inside_one_branch_of_a_split(store_url):
    result = _run("LoopInBranchFlow", store_url)
    assert result.successful, result.error
    assert [t.id for t in result.run["spin"]] == ["0_0", "0_1", "0_2"]
    join = result.run["join"].task
    assert (join.data.n, join.data.m) == (3, 7)
    assert sorted(p.pathspec.rsplit("/", 2)[1] for p in join.parent_tasks) == ["other", "spin"]


def test_a_loop_in_each_foreach_child(store_url):
    """Metaflow's nesting: a foreach whose children each loop on their own."""
    from zoo import load_zoo

    result = load_zoo("good_loop_back.py").run(store=store_url, scheduler="sync", quiet=True)
    assert result.successful, result.error
    join = result.run["join"].task.data
    assert join.values == [32, 20, 40] and join.rounds == [5, 2, 1]
    grows = sorted(t.id for t in result.run["grow"])
    assert grows == sorted(["0_0", "0_1", "0_2", "0_3", "0_4", "1_0", "1_1", "2_0"])
    # self.input is the child's item in every step inside the foreach, as in Metaflow
    assert result.run["grow"]["0_3"].index == 0


def test_resume_picks_up_from_the_latest_successful_pass(store_url, tmp_path):
    trigger = tmp_path / "fail"
    trigger.write_text("1")
    cls = _flow("FlakyLoopFlow")
    failed = cls.run(store=store_url, scheduler="sync", quiet=True, trigger=str(trigger))
    assert not failed.successful
    run = failed.run
    assert not run.finished and not run.successful
    assert [(t.id, t.successful) for t in run["loop"]] == [
        ("0_0", True),
        ("0_1", True),
        ("0_2", False),
    ]
    trigger.unlink()
    resumed = cls.resume(origin_run_id=failed.run_id, store=store_url, scheduler="sync", quiet=True)
    assert resumed.successful, resumed.error
    loop = list(resumed.run["loop"])
    assert [t.data.x for t in loop] == [1, 2, 3, 4, 5]
    origins = [t.origin_pathspec for t in loop]
    assert origins[:2] == [f"{run.pathspec}/loop/0_0", f"{run.pathspec}/loop/0_1"]
    assert origins[2:] == [None, None, None]  # the failed pass and those after it ran again
    assert resumed.run.data.final == 5


def test_resume_from_a_step_inside_a_loop_reuses_the_passes_before_it(store_url):
    cls = _flow("BackToEarlierFlow")
    first = cls.run(store=store_url, scheduler="sync", quiet=True)
    again = cls.resume(
        origin_run_id=first.run_id, step="train", store=store_url, scheduler="sync", quiet=True
    )
    assert again.successful, again.error
    fetch = {t.id: t.origin_pathspec for t in again.run["fetch"]}
    assert fetch["0_0"] == f"{first.run.pathspec}/fetch/0_0"  # before 'train' in pass 0
    assert fetch["0_1"] is None and fetch["0_2"] is None  # after a rerun 'train'
    assert all(t.origin_pathspec is None for t in again.run["train"])
    assert again.run.data.total == 60


def test_the_graph_record_and_every_drawing_show_the_loop(store_url):
    result = _run("BackToEarlierFlow", store_url)
    graph = build_graph(_flow("BackToEarlierFlow"))
    assert [s.loops for s in graph] == [(), ("fetch",), ("fetch",), ("fetch",), ()]
    assert [s.name for s in graph.topological()] == ["start", "fetch", "train", "decide", "end"]
    text = render(graph)
    assert "True: fetch (again), False: end" in text
    assert '"decide" -> "fetch" [label="True", style=bold];' in render(graph, "dot")
    assert 'step_decide == "True" ==> step_fetch' in render(graph, "mermaid")
    store = open_store(store_url)
    record = store.read_run_record("BackToEarlierFlow", result.run_id)["graph"]
    loops = [s.get("loops") for s in json.loads(json.dumps(record))["steps"]]
    assert loops == [None, ["fetch"], ["fetch"], ["fetch"], None]
    laid = run_graph(collect_run(store, "BackToEarlierFlow", result.run_id))
    assert laid.loops == (("decide", "fetch"),)
    assert [n.layer for n in laid.nodes] == [0, 1, 2, 3, 4]
    svg = render_graph_svg(laid)
    assert 'class="edge loop" data-from="decide" data-to="fetch"' in svg
    assert {n.name: n.tasks for n in laid.nodes}["train"] == 3


def test_a_self_loop_is_drawn_over_its_step(store_url):
    result = load_zoo("good_loop.py").run(store=store_url, scheduler="sync", quiet=True, limit=3)
    laid = run_graph(collect_run(open_store(store_url), "WhileFlow", result.run_id))
    assert laid.loops == (("loop", "loop"),) and ("loop", "loop") not in laid.edges
    assert 'data-from="loop" data-to="loop"' in render_graph_svg(laid)
    drawn = render(build_graph(load_zoo("good_loop.py")), states={"loop": "succeeded"})
    assert "[succeeded]" in drawn
