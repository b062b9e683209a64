"""Namespaces as in Metaflow: user:<name> by default, tags, None for all; mismatch errors."""

import pytest

from dflow.client import (
    Flow,
    Run,
    Step,
    Task,
    default_namespace,
    get_namespace,
    namespace,
    set_store,
)
from dflow.errors import DflowError, NamespaceMismatchError, ObjectNotFoundError


@pytest.fixture
def store(history: dict) -> str:
    set_store(history["store"])
    return history["store"]


def test_default_namespace_is_the_user(monkeypatch):
    monkeypatch.delenv("METAFLOW_USER")
    monkeypatch.setenv("USERNAME", "carol")
    assert default_namespace() == "user:carol"
    monkeypatch.delenv("USERNAME")
    monkeypatch.setenv("USER", "dave")
    assert default_namespace() == "user:dave" == get_namespace()


def test_configured_namespace_overrides_the_default(monkeypatch):
    monkeypatch.setenv("DFLOW_NAMESPACE", "team:vision")
    assert default_namespace() == "team:vision"
    assert namespace(None) is None and get_namespace() is None
    assert default_namespace() == "team:vision"


def test_runs_lists_only_the_current_namespace(store, history):
    alice = [r.id for r in Flow("ParamsFlow").runs()]
    assert alice == [history["params"], history["params_old"]]
    namespace("user:bob")
    assert [r.id for r in Flow("ParamsFlow").runs()] == [history["params_bob"]]
    assert Flow("ParamsFlow").latest_successful_run.data.y == 10.0
    namespace(None)
    everyone = [r.id for r in Flow("ParamsFlow")]
    assert everyone == [history["params_bob"], history["params"], history["params_old"]]


def test_a_tag_is_a_namespace(store, history):
    namespace("shared")
    assert [r.id for r in Flow("ParamsFlow")] == [history["params_bob"]]
    namespace("t1")
    assert Flow("ForeachFlow").latest_run.id == history["foreach"]
    with pytest.raises(NamespaceMismatchError, match="Object not in namespace 't1'"):
        Flow("ParamsFlow")  # Metaflow: a flow with no run in the namespace is not in it


def test_runs_filtered_by_tags(store, history):
    namespace(None)
    assert [r.id for r in Flow("ParamsFlow").runs("shared")] == [history["params_bob"]]
    assert list(Flow("ParamsFlow").runs("shared", "missing")) == []


@pytest.mark.parametrize(
    "make",
    [
        lambda rid: Run(f"ParamsFlow/{rid}"),
        lambda rid: Step(f"ParamsFlow/{rid}/end"),
        lambda rid: Task(f"ParamsFlow/{rid}/end/0"),
        lambda rid: Flow("ParamsFlow")[rid],
    ],
)
def test_a_run_of_another_namespace_by_pathspec_is_refused(store, history, make):
    with pytest.raises(NamespaceMismatchError, match="not in the namespace 'user:alice'"):
        make(history["params_bob"])
    namespace(None)
    assert make(history["params_bob"]).pathspec.startswith(f"ParamsFlow/{history['params_bob']}")
    namespace("shared")
    make(history["params_bob"])  # its tag's namespace sees it too


def test_namespace_mismatch_is_not_object_not_found(store, history):
    with pytest.raises(NamespaceMismatchError) as info:
        Run(f"ParamsFlow/{history['params_bob']}")
    assert not isinstance(info.value, ObjectNotFoundError)
    assert "namespace(None)" in str(info.value)


def test_tags_are_stored_and_change_namespaces(store, tmp_path):
    from client_flows import ParamsFlow
    from clientkit import make_run

    url = str(tmp_path / "store")
    set_store(url)
    rid = make_run(ParamsFlow, url, user="erin").run_id
    namespace("review")
    with pytest.raises(NamespaceMismatchError):
        Run(f"ParamsFlow/{rid}")
    namespace(None)
    run = Run(f"ParamsFlow/{rid}")
    run.add_tag("review")
    run.add_tags(["a", "b"])
    run.remove_tag("a")
    run.replace_tag("b", "c")
    assert run.user_tags == frozenset({"review", "c"})
    namespace("review")
    fresh = Run(f"ParamsFlow/{rid}")  # re-read from the store
    assert fresh.user_tags == frozenset({"review", "c"}) and fresh.status == "succeeded"
    assert Flow("ParamsFlow").latest_successful_run.id == rid
    fresh.remove_tags(["review"])
    with pytest.raises(NamespaceMismatchError):
        Run(f"ParamsFlow/{rid}")
    with pytest.raises(DflowError, match="invalid tag"):
        fresh.add_tag("")
