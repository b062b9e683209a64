"""build_graph on every good zoo flow: kinds, edges, split structure, lines."""

import pytest
from zoo import GOOD_FLOWS, load_zoo, zoo_path

from dflow.graph import build_graph, lint, validate
from dflow.graph.model import StepKind as K
from dflow.graph.model import Transition as T


def def_line(file_name: str, step: str) -> int:
    lines = zoo_path(file_name).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.strip().startswith(f"def {step}("))


def graph_of(name):
    return build_graph(load_zoo(name))


@pytest.mark.parametrize("name", sorted(GOOD_FLOWS))
def test_good_flows_have_no_problems(name):
    graph = validate(load_zoo(name))
    assert graph.flow_name == GOOD_FLOWS[name]
    assert lint(graph) == []
    assert graph.file == str(zoo_path(name))


@pytest.mark.parametrize("name", sorted(GOOD_FLOWS))
def test_lines_and_edges_are_consistent(name):
    graph = graph_of(name)
    for node in graph:
        assert node.line == def_line(name, node.name)
        assert node.file == str(zoo_path(name))
        for target in node.out:
            assert node.name in graph[target].in_steps
        if node.name != "end":
            text = zoo_path(name).read_text().splitlines()[node.next_line - 1]
            assert "self.next(" in text
    assert [n.name for n in graph.topological()][0] == "start"


def test_linear():
    graph = graph_of("good_linear.py")
    assert graph.names == ("start", "middle", "end")
    assert [n.kind for n in graph] == [K.START, K.LINEAR, K.END]
    assert [n.transition for n in graph] == [T.LINEAR, T.LINEAR, T.END]
    assert graph["middle"].out == ("end",) and graph["middle"].in_steps == ("start",)
    assert graph["end"].next_line == 0
    assert graph["start"].doc == "Begin."
    assert graph.doc == "Three steps in a row."
    assert all(n.split_parents == () for n in graph)


def test_branch():
    graph = graph_of("good_branch.py")
    start, a, b, join = graph["start"], graph["a"], graph["b"], graph["join"]
    assert start.kind == K.SPLIT and start.out == ("a", "b")
    assert start.matching_join == "join"
    assert a.split_parents == b.split_parents == ("start",)
    assert join.kind == K.JOIN and join.takes_inputs and join.in_steps == ("a", "b")
    assert join.split_parents == ("start",)  # a join lists the split it closes
    assert graph["end"].split_parents == ()


def test_foreach():
    graph = graph_of("good_foreach.py")
    start = graph["start"]
    assert start.kind == K.FOREACH and start.transition == T.FOREACH
    assert start.foreach_var == "items" and start.matching_join == "join"
    assert graph["square"].split_parents == ("start",)
    assert graph["join"].kind == K.JOIN


def test_nested_foreach():
    graph = graph_of("good_nested_foreach.py")
    assert graph["row"].kind == K.FOREACH and graph["row"].foreach_var == "cols"
    assert graph["cell"].split_parents == ("start", "row")
    assert graph["start"].matching_join == "join_rows"
    assert graph["row"].matching_join == "join_cols"
    assert graph["join_cols"].split_parents == ("start", "row")
    assert graph["join_rows"].split_parents == ("start",)
    assert graph["end"].split_parents == ()


def test_branch_inside_foreach():
    graph = graph_of("good_branch_in_foreach.py")
    assert graph["fan"].kind == K.SPLIT and graph["fan"].split_parents == ("start",)
    assert graph["left"].split_parents == ("start", "fan")
    assert graph["fan"].matching_join == "inner_join"
    assert graph["start"].matching_join == "outer_join"
    assert graph["outer_join"].split_parents == ("start",)


def test_switch():
    graph = graph_of("good_switch.py")
    start = graph["start"]
    assert start.kind == K.SWITCH and start.switch_var == "mode"
    assert start.switch_cases == (("fast", "quick"), ("slow", "thorough"))
    assert start.out == ("quick", "thorough") and start.matching_join is None
    report = graph["report"]
    assert report.kind == K.LINEAR and not report.takes_inputs
    assert report.in_steps == ("quick", "thorough") and report.split_parents == ()


def test_parameters():
    graph = graph_of("good_parameters.py")
    specs = {p.name: p for p in graph.parameters}
    assert list(specs) == ["who", "count", "alpha", "verbose", "config", "seed", "words"]
    assert [specs[n].type_name for n in ("who", "count", "alpha", "verbose", "config")] == [
        "str",
        "int",
        "float",
        "bool",
        "json",
    ]
    assert specs["seed"].required and specs["seed"].help == "random seed"
    assert specs["words"].is_include_file and specs["words"].default == "data/words.txt"
    source = zoo_path("good_parameters.py").read_text().splitlines()
    for spec in graph.parameters:
        assert source[spec.line - 1].strip().startswith(f"{spec.attr} = ")


def test_decorators_recorded_with_defaults_and_lines():
    graph = graph_of("good_decorators.py")
    source = zoo_path("good_decorators.py").read_text().splitlines()
    start = graph["start"].decorator("retry")
    assert start.options == (("minutes_between_retries", 2), ("times", 3))
    work = graph["work"]
    assert [d.name for d in work.decorators] == ["resources", "retry"]
    assert work.decorator("resources").options == (("cpu", 2), ("gpu", 0), ("memory", 2000))
    assert work.decorator("retry").get("times") == 2
    tolerant = graph["tolerant"]
    assert [d.name for d in tolerant.decorators] == ["catch", "timeout", "environment"]
    assert tolerant.decorator("environment").get("vars") == {"MODE": "test"}
    for node in graph:
        for deco in node.decorators:
            assert source[deco.line - 1].strip().startswith(f"@{deco.name}")


def test_graph_is_picklable_and_comparable():
    import pickle

    graph = graph_of("good_branch_in_foreach.py")
    again = pickle.loads(pickle.dumps(graph))
    assert again == graph and again["fan"] == graph["fan"]


def test_inherited_steps_keep_their_own_file_and_line(tmp_path):
    (tmp_path / "base_flow.py").write_text(
        "from dflow import FlowSpec, step\n\n\nclass Base(FlowSpec):\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    (tmp_path / "child_flow.py").write_text(
        "from base_flow import Base\nfrom dflow import step\n\n\nclass Child(Base):\n"
        "    @step\n    def start(self):\n        self.next(self.end)\n"
    )
    from dflow.flowfile import load_flow

    graph = validate(load_flow(str(tmp_path / "child_flow.py")))
    assert graph.names == ("start", "end")
    assert graph["end"].file.endswith("base_flow.py") and graph["end"].line == 6
    assert graph["start"].line == 7


def test_class_defined_in_a_notebook_cell():
    import linecache

    source = (
        "from dflow import FlowSpec, step\n\n\nclass CellFlow(FlowSpec):\n"
        "    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    filename = "/tmp/ipykernel_1234/2817.py"  # IPython registers each cell in linecache
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        namespace = {"__name__": "__main__"}
        exec(compile(source, filename, "exec"), namespace)
        graph = validate(namespace["CellFlow"])
    finally:
        del linecache.cache[filename]
    assert graph.names == ("start", "end") and graph.file == filename
    assert graph["start"].line == 6 and graph["start"].next_line == 7
