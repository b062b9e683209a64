"""Step decorators: recording, order independence, --with parsing, validation."""

import pytest

from dflow import catch, environment, resources, retry, step, timeout
from dflow.decorators import check_spec, is_step, parse_with_spec, step_decorators
from dflow.errors import DflowError
from dflow.graph.model import DecoratorSpec


def test_bare_and_called_forms_record_defaults_sorted():
    @retry
    @step
    def a(self):
        pass

    @step
    @retry(times=5)
    def b(self):
        pass

    assert is_step(a) and is_step(b)
    assert step_decorators(a)["retry"].options == (("minutes_between_retries", 2), ("times", 3))
    assert step_decorators(b)["retry"].get("times") == 5


def test_every_decorator_records_its_defaults():
    @catch
    @timeout
    @resources
    @environment
    @step
    def a(self):
        pass

    specs = step_decorators(a)
    assert specs["catch"].options == (("print_exception", True), ("var", None))
    assert specs["timeout"].options == (("hours", 0), ("minutes", 0), ("seconds", 0))
    assert specs["resources"].options == (("cpu", 1), ("gpu", 0), ("memory", 4096))
    assert specs["environment"].options == (("vars", None),)


def test_decorators_do_not_wrap_the_function():
    def f(self):
        return 42

    assert retry(times=1)(resources(cpu=2)(step(f))) is f


def test_positional_option_is_an_error():
    with pytest.raises(DflowError, match="takes keyword options only"):
        retry(2)


def test_step_needs_a_function():
    with pytest.raises(DflowError, match="@step decorates a function"):
        step(3)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (DecoratorSpec("retry", (("tims", 2),)), "@retry has no option 'tims'"),
        (DecoratorSpec("retry", (("times", -1),)), "must be an integer >= 0, got -1"),
        (DecoratorSpec("retry", (("times", True),)), "must be an integer >= 0"),
        (DecoratorSpec("catch", (("var", "not a name"),)), "attribute name"),
        (DecoratorSpec("catch", (("print_exception", "yes"),)), "True or False"),
        (DecoratorSpec("timeout", (("seconds", "5"),)), "a number >= 0"),
        (DecoratorSpec("resources", (("cpu", 0),)), "a number > 0"),
        (DecoratorSpec("environment", (("vars", {"A": 1}),)), "a dict of str to str"),
        (DecoratorSpec("kubernetes", ()), "unknown step decorator @kubernetes"),
    ],
)
def test_check_spec_finds_bad_options(spec, fragment):
    problems = check_spec(spec)
    assert len(problems) == 1 and fragment in problems[0][0] and problems[0][1]


def test_parse_with_spec():
    spec = parse_with_spec("retry:times=2,minutes_between_retries=0")
    assert spec == DecoratorSpec("retry", (("minutes_between_retries", 0), ("times", 2)))
    assert parse_with_spec("retry").get("times") == 3
    env = parse_with_spec('environment:vars={"A": "x,y", "B": "z"}')
    assert env.get("vars") == {"A": "x,y", "B": "z"}
    assert parse_with_spec("catch:var=err,print_exception=false").options == (
        ("print_exception", False),
        ("var", "err"),
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("retry:times", "is not option=value"),
        ("retry:tims=2", "@retry has no option 'tims'"),
        ("resources:memory=-5", "must be a number > 0"),
        ("nope:x=1", "unknown step decorator @nope"),
    ],
)
def test_parse_with_spec_errors(text, fragment):
    with pytest.raises(DflowError, match=None) as info:
        parse_with_spec(text)
    assert fragment in info.value.message


def test_step_decorators_from_a_graph_node():
    from zoo import load_zoo

    from dflow.graph import build_graph

    node = build_graph(load_zoo("good_decorators.py"))["work"]
    assert set(step_decorators(node)) == {"resources", "retry"}
