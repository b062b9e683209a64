"""load_flow: the happy path and every way a flow file can fail to load."""

import sys

import pytest
from zoo import BROKEN_FILES, BROKEN_SYNTAX_LINE, write_broken_syntax, zoo_path

from dflow.errors import FlowLoadError
from dflow.flowfile import flow_source_file, load_flow, split_spec


def test_loads_the_single_flow_without_running_main(tmp_path):
    path = tmp_path / "mainflow.py"
    path.write_text(
        "from dflow import FlowSpec, step\nimport helper_mod\n\n"
        "class MainFlow(FlowSpec):\n    @step\n    def start(self):\n"
        "        self.next(self.end)\n    @step\n    def end(self):\n        pass\n\n"
        "if __name__ == '__main__':\n    raise SystemExit('main block ran')\n"
    )
    (tmp_path / "helper_mod.py").write_text("X = 1\n")  # importable: the folder is on sys.path
    cls = load_flow(str(path))
    assert cls.__name__ == "MainFlow" and cls.__module__ != "__main__"
    assert flow_source_file(cls) == path.resolve()
    assert sys.modules[cls.__module__].__file__ == str(path.resolve())


def test_class_selection():
    path = str(zoo_path("broken_two_flows.py"))
    assert load_flow(f"{path}:SecondFlow").__name__ == "SecondFlow"
    expected = r"defines no flow class 'Third'.*FirstFlow, SecondFlow"
    with pytest.raises(FlowLoadError, match=expected):
        load_flow(f"{path}:Third")


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_broken_files_give_a_clear_error(name):
    with pytest.raises(FlowLoadError) as info:
        load_flow(str(zoo_path(name)))
    assert BROKEN_FILES[name] in str(info.value)
    assert info.value.hint


def test_import_error_shows_the_users_frame_only():
    with pytest.raises(FlowLoadError) as info:
        load_flow(str(zoo_path("broken_import.py")))
    text = info.value.message
    assert 'broken_import.py", line 1' in text
    assert "ModuleNotFoundError: No module named 'a_module_that_does_not_exist'" in text
    assert "importlib" not in text and "flowfile.py" not in text


def test_syntax_error_has_file_and_line(tmp_path):
    path = write_broken_syntax(tmp_path)
    with pytest.raises(FlowLoadError) as info:
        load_flow(str(path))
    assert info.value.message.startswith(f"{path.resolve()}:{BROKEN_SYNTAX_LINE}: syntax error")


def test_missing_file():
    with pytest.raises(FlowLoadError, match="no flow file 'nowhere/flow.py'"):
        load_flow("nowhere/flow.py")


def test_split_spec():
    assert split_spec("a/b.py:Flow") == ("a/b.py", "Flow")
    assert split_spec("a/b.py") == ("a/b.py", None)
    assert split_spec("C:/x/b.py") == ("C:/x/b.py", None)


def test_flow_source_file_is_none_without_a_file():
    namespace = {}
    exec("from dflow import FlowSpec\nclass Inline(FlowSpec):\n    pass\n", namespace)
    assert flow_source_file(namespace["Inline"]) is None
