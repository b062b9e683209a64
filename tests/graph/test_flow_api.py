"""FlowSpec at run time: self.next forms, the lazy loader, input/index, class helpers."""

import ast

import pytest
from zoo import load_zoo

from dflow import FlowSpec, Parameter, step
from dflow.errors import DflowError
from dflow.flowspec import RESERVED_NAMES, LazyValue, NextCall, TaskContext
from dflow.graph.nextcall import parse_next
from dflow.nextform import NextRule


class Demo(FlowSpec):
    alpha = Parameter("alpha", default=0.5)

    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.end)

    @step
    def b(self):
        self.next(self.end)

    def helper(self):
        return 1

    @step
    def end(self):
        pass


class Child(Demo):
    beta = Parameter("beta", default=1)

    @step
    def extra(self):
        self.next(self.end)


def fresh():
    return Demo(use_cli=False)


def test_next_records_a_split():
    flow = fresh()
    flow.next(flow.a, flow.b)
    assert flow._task().next_call == NextCall(("a", "b"))


def test_next_records_foreach_and_switch():
    flow = fresh()
    flow.next(flow.a, foreach="items")
    assert flow._task().next_call == NextCall(("a",), foreach="items")
    flow = fresh()
    flow.next({"x": flow.a, "y": flow.b, "z": flow.a}, condition="mode")
    assert flow._task().next_call.targets == ("a", "b")
    assert flow._task().next_call.cases == (("x", "a"), ("y", "b"), ("z", "a"))
    assert flow._task().next_call.condition == "mode"


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda f: f.next(), "at least one step"),
        (lambda f: f.next(f.helper), "takes steps of this flow"),
        (lambda f: f.next(fresh().a), "takes steps of this flow"),
        (lambda f: f.next("a"), "takes steps of this flow"),
        (lambda f: f.next(f.a, foreach=[1, 2]), "foreach= takes the name of an attribute"),
        (lambda f: f.next(f.a, f.b, foreach="items"), "exactly one target"),
        (lambda f: f.next({"x": f.a}), "needs condition="),
        (lambda f: f.next({"x": f.a}, condition=1), "condition= takes the name"),
        (lambda f: f.next(f.a, condition="mode"), "one dict"),
        (lambda f: f.next({}, condition="mode"), "at least one case"),
    ],
)
def test_bad_next_calls_raise_a_clear_error(call, fragment):
    with pytest.raises(DflowError, match=None) as info:
        call(fresh())
    assert fragment in info.value.message and info.value.hint


#: a call breaking each rule of dflow.nextform, as a step would write it
BREAKS = {
    NextRule.CONDITION_NOT_A_NAME: 'self.next({"x": self.a}, condition=self.mode)',
    NextRule.CASES_NEED_CONDITION: 'self.next({"x": self.a})',
    NextRule.CONDITION_NEEDS_CASES: 'self.next(self.a, condition="mode")',
    NextRule.SWITCH_TAKES_NO_FOREACH: 'self.next({"x": self.a}, foreach="items", condition="m")',
    NextRule.NO_CASES: 'self.next({}, condition="mode")',
    NextRule.NO_STEP: "self.next()",
    NextRule.FOREACH_NOT_A_NAME: "self.next(self.a, foreach=self.items)",
    NextRule.FOREACH_TARGETS: 'self.next(self.a, self.b, foreach="items")',
}


def test_every_next_rule_is_checked_by_dflow_check_and_at_run_time():
    assert set(BREAKS) == set(NextRule)
    for rule, call in BREAKS.items():
        func = ast.parse(f"def start(self):\n    {call}\n").body[0]
        problems = parse_next("start", "flow.py", func).problems
        assert [p.check for p in problems] == ["next_form"], (rule, problems)
        flow = fresh()
        flow.__dict__.update(mode=["x"], items=[1])  # self.mode is no name
        with pytest.raises(DflowError) as info:
            eval(call, {"self": flow})
        assert info.value.hint, rule


def test_next_twice_is_an_error():
    flow = fresh()
    flow.next(flow.end)
    with pytest.raises(DflowError, match="twice"):
        flow.next(flow.end)


def test_getattr_goes_to_the_loader_except_private_names():
    flow = fresh()
    calls = []

    def loader(name):
        calls.append(name)
        if name == "missing":
            raise AttributeError(name)
        return f"value of {name}"

    flow.__dict__["_dflow_task"] = TaskContext(loader=loader)
    assert flow.model == "value of model"
    assert flow.alpha == "value of alpha"  # parameters read through the loader by name
    with pytest.raises(AttributeError):
        _ = flow.missing
    with pytest.raises(AttributeError):
        _ = flow._private
    assert calls == ["model", "alpha", "missing"]


def test_getattr_without_loader_names_the_artifact():
    flow = fresh()
    flow.score = 1
    with pytest.raises(AttributeError, match="Demo has no artifact 'scor'.*did you mean 'score'"):
        _ = flow.scor
    assert flow.alpha == 0.5  # the default outside a run
    assert Demo.alpha.name == "alpha"  # class access gives the Parameter


def test_parameters_are_read_only():
    with pytest.raises(DflowError, match="read-only"):
        fresh().alpha = 3


def test_input_and_index_outside_a_foreach():
    flow = fresh()
    with pytest.raises(DflowError, match="only set in a step inside a foreach"):
        _ = flow.input
    with pytest.raises(DflowError, match="self.index"):
        _ = flow.index


def test_lazy_input_is_loaded_once():
    flow = fresh()
    loads = []
    flow.__dict__["_dflow_task"] = TaskContext(
        input=LazyValue(lambda: loads.append(1) or "element"), index=3
    )
    assert flow.input == "element" and flow.input == "element"
    assert loads == [1] and flow.index == 3


def test_merge_artifacts_and_foreach_stack_delegate_to_the_task_context():
    seen = {}

    class Recording(TaskContext):
        def merge_artifacts(self, flow, inputs, include=None, exclude=None):
            seen.update(flow=flow, inputs=inputs, include=include, exclude=exclude)

        def foreach_stack(self, flow):
            return [(0, 2, "a")]

    flow = fresh()
    flow.__dict__["_dflow_task"] = Recording()
    flow.merge_artifacts(["i1"], exclude=["x"])
    assert seen == {"flow": flow, "inputs": ["i1"], "include": None, "exclude": ["x"]}
    assert flow.foreach_stack() == [(0, 2, "a")]


def test_outside_a_run_merge_artifacts_is_refused_and_there_is_no_foreach_stack():
    flow = fresh()
    with pytest.raises(DflowError, match="merge_artifacts works only in a join step"):
        flow.merge_artifacts([])
    assert flow.foreach_stack() is None


def test_class_helpers_include_inherited_in_class_order():
    assert [a for a, _ in Child._dflow_parameters()] == ["alpha", "beta"]
    assert list(Child._dflow_steps()) == ["start", "a", "b", "end", "extra"]
    assert "helper" not in Demo._dflow_steps()


def test_reserved_names_cover_flowspec_attributes():
    assert {"next", "input", "index", "run", "merge_artifacts", "name"} <= RESERVED_NAMES


def test_use_cli_runs_the_flow_cli(monkeypatch):
    import dflow.cli.flow_cli as flow_cli

    called = []
    monkeypatch.setattr(flow_cli, "run_cli", lambda cls: called.append(cls))
    Demo()
    assert called == [Demo]


def test_zoo_flow_steps_run_as_plain_methods():
    cls = load_zoo("good_linear.py")
    flow = cls(use_cli=False)
    flow.start()
    assert flow.x == 1 and flow._task().next_call == NextCall(("middle",))
