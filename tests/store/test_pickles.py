"""A pickle whose class cannot be imported where it is read is a clear, named error."""

from __future__ import annotations

import importlib
import sys
import textwrap

import pytest

from dflow.errors import ArtifactUnreadableError, StoreError
from dflow.store import Store


@pytest.fixture
def helper_module(tmp_path, monkeypatch):
    """A user helper module importable while saving, then gone (as on another machine)."""
    name = f"dflow_test_helper_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent("""
        class Model:
            def __init__(self, w):
                self.w = w

        class Broken:
            def __setstate__(self, state):
                raise RuntimeError("cannot rebuild")
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    yield module
    sys.modules.pop(name, None)


def _forget(module, monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, module.__name__)
    monkeypatch.setattr(
        sys, "path", [p for p in sys.path if p != str(module.__file__).rsplit("/", 1)[0]]
    )


def test_missing_module_names_the_artifact_module_and_a_fix(
    store: Store, helper_module, monkeypatch
) -> None:
    ref = store.save(helper_module.Model(3))
    assert ref.encoding == "pickle"
    _forget(helper_module, monkeypatch)
    with pytest.raises(ArtifactUnreadableError) as info:
        store.load(ref, name="TrainFlow/1/fit/0/model")
    text = str(info.value)
    assert "'TrainFlow/1/fit/0/model'" in text
    assert helper_module.__name__ in text and "Model" in text
    assert "PYTHONPATH" in text
    assert isinstance(info.value, StoreError)


def test_missing_class_names_the_class(store: Store, helper_module, monkeypatch) -> None:
    ref = store.save(helper_module.Model(3))
    monkeypatch.delattr(helper_module, "Model")
    with pytest.raises(ArtifactUnreadableError, match=r"'m'.*Model"):
        store.load(ref, name="m")


def test_a_failing_setstate_is_named_too(store: Store, helper_module) -> None:
    obj = helper_module.Broken()
    obj.x = 1
    ref = store.save(obj)
    with pytest.raises(ArtifactUnreadableError, match=r"'b'.*cannot rebuild"):
        store.load(ref, name="b")


def test_importable_pickles_still_load(store: Store, helper_module) -> None:
    ref = store.save(helper_module.Model([1, 2]))
    assert store.load(ref).w == [1, 2]
