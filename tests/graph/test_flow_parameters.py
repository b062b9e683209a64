"""Parameters: type inference, CLI conversion, validation, resolve_parameters."""

import pytest
from zoo import load_zoo, zoo_path

from dflow import FlowSpec, IncludeFile, JSONType, Parameter, step
from dflow.errors import ParameterError
from dflow.parameters import resolve_parameters


@pytest.mark.parametrize(
    ("default", "type_name"),
    [
        ("x", "str"),
        (None, "str"),
        (3, "int"),
        (0.5, "float"),
        (True, "bool"),
        ({"a": 1}, "json"),
        ([1], "json"),
    ],
)
def test_type_is_inferred_from_the_default(default, type_name):
    assert Parameter("p", default=default).type_name == type_name


@pytest.mark.parametrize(
    ("type_", "raw", "value"),
    [
        (str, "abc", "abc"),
        (int, "42", 42),
        (float, "0.25", 0.25),
        (float, "3", 3.0),
        (bool, "yes", True),
        (bool, "False", False),
        (bool, "1", True),
        (bool, "no", False),
        (JSONType, '{"a": [1, 2]}', {"a": [1, 2]}),
        (JSONType, '"s"', "s"),
    ],
)
def test_convert_cli_strings(type_, raw, value):
    assert Parameter("p", type=type_).convert(raw) == value


@pytest.mark.parametrize(
    ("type_", "raw", "fragment"),
    [
        (int, "4.5", "expects an integer, got '4.5'"),
        (float, "fast", "expects a number, got 'fast'"),
        (bool, "maybe", "expects true/false/yes/no/1/0, got 'maybe'"),
        (
            JSONType,
            "{bad",
            "expects JSON, got '{bad' (Expecting property name enclosed in double quotes)",
        ),
    ],
)
def test_convert_rejects_bad_strings(type_, raw, fragment):
    with pytest.raises(ParameterError) as info:
        Parameter("p", type=type_).convert(raw)
    assert info.value.message == f"parameter 'p' {fragment}"


def test_validate_checks_python_values():
    assert Parameter("p", type=float).validate(2) == 2.0
    with pytest.raises(ParameterError, match="expects an integer"):
        Parameter("p", type=int).validate(True)
    with pytest.raises(ParameterError, match="expects a string"):
        Parameter("p", type=str).validate(1)
    with pytest.raises(ParameterError, match="JSON-serializable"):
        Parameter("p", type=JSONType).validate({1, 2})


def test_resolve_applies_defaults_and_reads_the_included_file():
    cls = load_zoo("good_parameters.py")
    values = resolve_parameters(cls, {"seed": 7})
    assert values == {
        "who": "world",
        "count": 3,
        "alpha": 0.5,
        "verbose": False,
        "config": {"depth": 2},
        "seed": 7,
        "words": "alpha\nbeta\ngamma\n",
    }


def test_resolve_from_cli_converts_strings(tmp_path):
    cls = load_zoo("good_parameters.py")
    other = tmp_path / "w.txt"
    other.write_text("zeta")
    values = resolve_parameters(
        cls,
        {
            "count": "5",
            "alpha": "2",
            "verbose": "yes",
            "config": "[1]",
            "seed": "9",
            "words": str(other),
            "who": None,
        },
        from_cli=True,
    )
    assert (values["count"], values["alpha"], values["verbose"]) == (5, 2.0, True)
    assert values["config"] == [1] and values["seed"] == 9 and values["words"] == "zeta"
    assert values["who"] == "world"  # None means not given


def test_resolve_lists_every_problem_at_once():
    cls = load_zoo("good_parameters.py")
    with pytest.raises(ParameterError) as info:
        resolve_parameters(cls, {"count": "many", "alpha": "x", "bogus": 1}, from_cli=True)
    message = info.value.message
    assert message.startswith("4 parameter problems")
    for fragment in (
        "unknown parameter(s) 'bogus'",
        "'count' expects an integer",
        "'alpha' expects a number",
        "'seed' is required: pass --seed VALUE",
    ):
        assert fragment in message


def test_resolve_accepts_attribute_names_and_reports_a_missing_file():
    class Files(FlowSpec):
        data_file = IncludeFile("data-file", is_text=False)
        level = Parameter("level", default=1)

        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    values = resolve_parameters(Files, {"level": 2, "data_file": str(zoo_path("good_linear.py"))})
    assert values["level"] == 2 and values["data-file"].startswith(b"from dflow")
    with pytest.raises(ParameterError, match="names a file that does not exist: 'nope.txt'"):
        resolve_parameters(Files, {"data-file": "nope.txt"})
    assert resolve_parameters(Files, {}) == {"data-file": None, "level": 1}


def test_parameter_needs_a_name():
    with pytest.raises(ParameterError, match="needs a name"):
        Parameter("")
