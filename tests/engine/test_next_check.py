"""A running step's ``self.next`` is checked against the graph by one comparison: the call
it made (a :class:`dflow.nextform.NextCall`) against the one its source ends with
(:attr:`StepNode.next_call`)."""

from __future__ import annotations

import pytest
from zoo import load_zoo

from dflow.engine.attempt import _check_next
from dflow.errors import DflowError
from dflow.graph import build_graph
from dflow.nextform import NextCall


def _called(flow_cls: type, call: NextCall | None):
    flow = flow_cls(use_cli=False)
    flow._task().next_call = call
    return flow


@pytest.mark.parametrize(
    "name", ["good_switch.py", "good_foreach.py", "good_branch.py", "good_loop.py"]
)
def test_each_steps_source_call_is_its_graph_edge(name):
    flow_cls = load_zoo(name)
    graph = build_graph(flow_cls)
    for node in graph.steps:
        expected = node.next_call
        assert (expected is None) == (node.name == "end")
        assert _check_next(_called(flow_cls, expected), node) == expected


def test_the_switch_a_step_calls_is_the_one_its_source_ends_with():
    flow_cls = load_zoo("good_switch.py")
    start = build_graph(flow_cls)["start"]
    flow = flow_cls(use_cli=False)
    flow.next({"fast": flow.quick, "slow": flow.thorough}, condition="mode")
    assert (
        flow._task().next_call
        == start.next_call
        == NextCall(
            ("quick", "thorough"), condition="mode", cases=(("fast", "quick"), ("slow", "thorough"))
        )
    )


@pytest.mark.parametrize(
    ("step", "call", "message"),
    [
        ("end", NextCall(("start",)), "step 'end' is the end step and must not call self.next"),
        ("report", None, "step 'report' finished without calling self.next"),
        (
            "report",
            NextCall(("quick",)),
            "step 'report' called self.next with ('quick',) but the flow's graph says ('end',)",
        ),
        (
            "start",
            NextCall(("quick", "thorough"), foreach="mode"),
            "called self.next with ('quick', 'thorough') but the flow's graph says",
        ),
        (
            "start",
            NextCall(
                ("quick", "thorough"),
                condition="mode",
                cases=(("fast", "thorough"), ("slow", "quick")),
            ),
            "step 'start' called self.next with cases {'fast': 'thorough', 'slow': 'quick'} "
            "on 'mode' but the flow's graph says {'fast': 'quick', 'slow': 'thorough'} on 'mode'",
        ),
    ],
)
def test_a_call_other_than_the_graphs_edge_is_refused(step, call, message):
    flow_cls = load_zoo("good_switch.py")
    with pytest.raises(DflowError) as info:
        _check_next(_called(flow_cls, call), build_graph(flow_cls)[step])
    assert message in str(info.value.message)
