"""Lint: every rule on its bad zoo flow, with its message and line; all problems at once."""

import pytest
from zoo import BAD_FLOWS, expected_problems, load_zoo, zoo_path

from dflow.errors import FlowDefinitionError
from dflow.graph import Problem, build_graph, lint, validate
from dflow.graph.lint import CHECKS


def problems_of(name):
    return lint(build_graph(load_zoo(name)))


@pytest.mark.parametrize("name", BAD_FLOWS)
def test_bad_flow_reports_exactly_its_marked_problems(name):
    found = problems_of(name)
    assert sorted((p.line, p.check) for p in found) == sorted(expected_problems(name))
    assert all(p.file == str(zoo_path(name)) for p in found)
    assert all(p.hint for p in found)


# One entry per rule: the zoo file, the check, the line marker and a message fragment.
RULES = [
    ("bad_no_start.py", "start_and_end", "has no 'start' step"),
    ("bad_no_end.py", "start_and_end", "has no 'end' step"),
    ("bad_end_has_next.py", "end_has_no_next", "step 'end' must not call self.next"),
    ("bad_missing_next.py", "steps_end_in_next", "'middle' does not end with self.next"),
    ("bad_next_not_last.py", "next_last", "must be the last statement"),
    ("bad_unknown_target.py", "unknown_targets", "goes to 'ned', which is not a step"),
    ("bad_unreachable.py", "unreachable_steps", "'orphan' is never reached from 'start'"),
    ("bad_cycle.py", "no_cycles", "cycle: a -> b -> a"),
    ("bad_loop_two_entries.py", "no_cycles", "a -> b -> a (it can be entered other than"),
    ("bad_loop_shapes.py", "loop_shapes", "goes back to join 'join': a loop cannot start at"),
    ("bad_loop_shapes.py", "loop_shapes", "back to 'start' across a split or foreach"),
    ("bad_inputs_not_join.py", "inputs_only_in_joins", "'middle' takes inputs but closes no"),
    ("bad_join_without_inputs.py", "inputs_only_in_joins", "several branches ('a', 'b')"),
    ("bad_unclosed_foreach.py", "splits_are_joined", "foreach at step 'start' is never closed"),
    ("bad_mixed_join.py", "joins_match_splits", "mixes branches of different splits"),
    ("bad_missing_branch.py", "joins_match_splits", "does not join branch(es) 'c'"),
    ("bad_foreach_self_attr.py", "next_form", "foreach= takes the name of an attribute"),
    ("bad_step_name.py", "step_names", "'Train' must be a lowercase identifier"),
    ("bad_step_name.py", "step_names", "'input' is reserved"),
    ("bad_parameter_name.py", "parameter_names", "'index' shadows FlowSpec"),
    ("bad_parameter_name.py", "parameter_names", "'train' is replaced by the step"),
    ("bad_parameter_name.py", "parameter_names", "'alpha' is used twice"),
    ("bad_parameter_default.py", "parameter_defaults", "expects an integer, got 'abc'"),
    ("bad_parameter_default.py", "parameter_defaults", "unsupported type 'list'"),
    ("bad_switch.py", "next_form", "condition= takes the name of an attribute"),
    ("bad_switch.py", "next_form", "takes steps written as self.<step>"),
    ("bad_missing_step_decorator.py", "missing_step", "'middle' calls self.next but is not"),
    ("bad_decorator_option.py", "decorator_options", "@retry has no option 'tims'"),
    ("bad_decorator_option.py", "decorator_options", "memory=...) must be a number > 0"),
    ("bad_duplicate_step.py", "duplicate_step", "'start' is defined twice"),
    ("bad_flow_name.py", "flow_name", "flow class name 'FlüssFlow' is not ASCII"),
    ("bad_next_assigned.py", "reserved_assignment", "'start' assigns self.next"),
]


@pytest.mark.parametrize(("name", "check", "fragment"), RULES)
def test_rule_message_and_line(name, check, fragment):
    matching = [p for p in problems_of(name) if fragment in p.message]
    assert len(matching) == 1, [p.message for p in problems_of(name)]
    problem = matching[0]
    assert problem.check == check
    assert (problem.line, check) in expected_problems(name)


def test_every_registered_check_is_exercised_by_the_zoo():
    exercised = {check for name in BAD_FLOWS for _, check in expected_problems(name)}
    assert set(CHECKS) - {"parse_problems", "switch_cases"} <= exercised


def test_foreach_self_attribute_hint_names_the_string_form():
    (problem,) = problems_of("bad_foreach_self_attr.py")
    assert problem.hint == "write foreach='items', not foreach=self.items"


def test_two_problems_are_both_reported_by_validate():
    with pytest.raises(FlowDefinitionError) as info:
        validate(load_zoo("bad_two_problems.py"))
    problems = info.value.problems
    assert [(p.line, p.check) for p in problems] == [(5, "parameter_defaults"), (9, "next_form")]
    text = str(info.value)
    assert "bad_two_problems.py:5: parameter 'size' expects an integer" in text
    assert "bad_two_problems.py:9: step 'start': foreach= takes" in text


def test_problem_str_has_path_line_message_and_hint():
    problem = Problem("/nowhere/flow.py", 12, "something is wrong", "do this")
    assert str(problem) == "/nowhere/flow.py:12: something is wrong\n    hint: do this"
    assert str(Problem("flow.py", 3, "no hint")) == "flow.py:3: no hint"


def test_switch_with_a_repeated_case(tmp_path):
    path = tmp_path / "dup_case.py"
    path.write_text(
        "from dflow import FlowSpec, step\n\n\nclass DupCaseFlow(FlowSpec):\n"
        "    @step\n    def start(self):\n        self.m = 1\n"
        "        self.next({1: self.a, 1: self.b}, condition='m')\n"  # noqa: F601 in the flow
        "    @step\n    def a(self):\n        self.next(self.end)\n"
        "    @step\n    def b(self):\n        self.next(self.end)\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    from dflow.flowfile import load_flow

    found = lint(build_graph(load_flow(str(path))))
    assert [(p.line, p.check) for p in found] == [(8, "switch_cases")]
    assert "lists case 1 twice" in found[0].message


def test_source_not_available_is_a_clear_error():
    from dflow import FlowSpec, step

    namespace = {"FlowSpec": FlowSpec, "step": step}
    exec(
        "class Hidden(FlowSpec):\n  @step\n  def start(self):\n    self.next(self.end)\n", namespace
    )
    with pytest.raises(FlowDefinitionError, match="cannot read the source of flow 'Hidden'"):
        build_graph(namespace["Hidden"])


def test_a_cycle_without_a_switch_says_only_a_switch_can_go_back():
    (cycle, _unreachable) = problems_of("bad_cycle.py")
    assert "only a switch can go back" in cycle.hint and "condition=" in cycle.hint


def test_loops_through_a_switch_pass_lint():
    for name in ("good_loop.py", "good_loop_back.py"):
        assert problems_of(name) == []
