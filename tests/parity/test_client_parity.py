"""The client's differences from Metaflow, now its way: Run/Task finished and successful
as Metaflow's client code reads them, naive times,
system tags, the namespace mismatch of a flow with no run in the namespace, and
Metaflow's exception names."""

from __future__ import annotations

import platform
from datetime import datetime

import pytest

import dflow
from dflow.client import ClientContext, Flow
from dflow.exception import (
    MergeArtifactsException,
    MetaflowException,
    MetaflowNamespaceMismatch,
    TimeoutException,
)
from dflow.flowfile import load_flow

FLOWS = __file__.rsplit("/", 1)[0] + "/flows"


def _run(name: str, store_url: str):
    return load_flow(f"{FLOWS}/basics.py:{name}").run(store=store_url, scheduler="sync", quiet=True)


def test_finished_means_the_end_step_completed(store_url):
    good = _run("FineFlow", store_url).run
    bad = _run("BrokenFlow", store_url).run
    assert good.finished and good.successful
    assert not bad.finished and not bad.successful and bad.ended and bad.status == "failed"


def test_task_finished_and_successful_as_metaflows_client_reads_them(store_url):
    """Metaflow: successful is ``_success`` (the step ran to its end), finished is
    ``_task_ok`` (it completed: succeeded, or failed and was caught); a failed task is
    neither. A run is successful and finished as its end task is."""
    good = _run("FineFlow", store_url).run
    task = good["start"].task
    assert task.successful and task.finished and task.ended
    failed = _run("BrokenFlow", store_url).run["start"].task
    assert not failed.successful and not failed.finished and failed.ended
    assert failed.finished_at is not None and failed.exception.type == "RuntimeError"
    caught = _run("CaughtFlow", store_url)
    assert caught.successful  # the run went on past both caught steps
    run = caught.run
    middle, end = run["middle"].task, run["end"].task
    assert (
        middle.finished
        and not middle.successful
        and middle.data.failure.type == ("builtins.ValueError")
    )
    assert end.finished and not end.successful
    assert run.finished and not run.successful  # Metaflow: end_task.successful
    assert run.end_task.pathspec == end.pathspec


def test_a_reused_task_is_successful_as_its_origin_was(store_url):
    cls = load_flow(f"{FLOWS}/basics.py:FineFlow")
    first = cls.run(store=store_url, scheduler="sync", quiet=True)
    again = cls.resume(origin_run_id=first.run_id, store=store_url, scheduler="sync", quiet=True)
    task = again.run["start"].task
    assert task.origin_pathspec == f"{first.run.pathspec}/start/0"
    assert task.successful and task.finished and again.run.successful


def test_times_are_naive_like_metaflows(store_url):
    run = _run("FineFlow", store_url).run
    assert isinstance(run.finished_at, datetime) and run.finished_at.tzinfo is None
    assert run.created_at.tzinfo is None and run.created_at <= run.finished_at
    assert run["start"].task.finished_at.tzinfo is None


def test_system_tags(store_url):
    run = _run("FineFlow", store_url).run
    system = run.system_tags
    assert f"user:{run.user}" in system and "runtime:dflow" in system
    assert f"python_version:{platform.python_version()}" in system
    assert f"dflow_version:{dflow.__version__}" in system
    assert run.user_tags == frozenset() and run.tags == system
    assert [r.id for r in Flow("FineFlow", ClientContext(store_url)).runs("runtime:dflow")] == [
        run.id
    ]


def test_a_flow_with_no_run_in_the_namespace_is_a_mismatch(store_url):
    _run("FineFlow", store_url)
    with pytest.raises(MetaflowNamespaceMismatch, match="Object not in namespace 'user:nobody'"):
        Flow("FineFlow", ClientContext(store_url, namespace="user:nobody"))
    assert Flow("FineFlow", ClientContext(store_url, namespace=None)).latest_run is not None


def test_metaflow_exception_names(store_url):
    assert issubclass(MergeArtifactsException, MetaflowException)
    assert issubclass(TimeoutException, MetaflowException)
    join = _run("ConflictFlow", store_url).run["join"].task.data
    assert join.unhandled == ["v"]
