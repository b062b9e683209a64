"""@catch(var=...) as Metaflow documents it: successful tasks get None; a failed one gets
an object with ``.exception`` and ``.type``; what the step set before raising is kept;
join inputs offer ``inp.input``."""

from __future__ import annotations

from dflow.flowfile import load_flow

FLOWS = __file__.rsplit("/", 1)[0] + "/flows"


def _flow(name: str, file: str = "catching.py") -> type:
    return load_flow(f"{FLOWS}/{file}:{name}")


def test_catch_var_is_none_on_success_and_the_exception_on_failure(store_url):
    result = _flow("CatchVarFlow").run(store=store_url, scheduler="sync", quiet=True)
    assert result.successful
    join = result.run["join"].task.data
    assert join.seen == [
        (0, 0, True, None),
        (1, 10, False, "builtins.ValueError"),
        (2, 20, True, None),
        (3, 30, False, "builtins.ValueError"),
    ]
    assert join.messages == ["odd 1", "odd 3"]
    work = {t.index: t for t in result.run["work"]}
    assert work[1].data.before == 10 and work[0].data.after is True
    assert "after" not in work[1]


def test_catch_after_retry_keeps_the_last_attempts_artifacts(store_url):
    result = _flow("CatchRetryFlow").run(store=store_url, scheduler="sync", quiet=True)
    assert result.successful
    end = result.run.data
    assert end.kind == "builtins.KeyError"
    assert end.attempts_seen == 1
    assert "KeyError" in end.text and "Traceback" in end.text


def test_foreach_stack_and_join_inputs_in_nested_foreach(store_url):
    result = _flow("NestedForeachFlow").run(store=store_url, scheduler="sync", quiet=True)
    assert result.successful
    run = result.run
    joins = sorted(run["inner_join"], key=lambda t: t.data.stack_here[0][0])
    assert [t.data.stack_here for t in joins] == [[(0, 2, "a")], [(1, 2, "b")]]
    pairs = joins[1].data.pairs
    assert [(i, v) for i, v, _ in pairs] == [(0, 10), (1, 20), (2, 30)]
    assert pairs[2][2] == [(1, 2, "b"), (2, 3, 30)]  # Metaflow's (index, num_splits, value)
    outer = run["outer_join"].task.data
    assert outer.outer_inputs == ["a", "b"] and outer.stack_here == []
