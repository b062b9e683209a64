"""``FlowSpec``: the base class of every flow.

A flow is a subclass whose ``@step`` methods are joined by ``self.next(...)``. Creating
an instance the Metaflow way (``if __name__ == "__main__": MyFlow()``) runs the flow's
command line; the engine creates plain instances with ``use_cli=False`` and gives them
a lazy artifact loader, so ``self.x`` reads artifacts of earlier steps on demand.

Example::

    class HelloFlow(FlowSpec):
        @step
        def start(self):
            self.greeting = "hello"
            self.next(self.end)

        @step
        def end(self):
            print(self.greeting)

    if __name__ == "__main__":
        HelloFlow()
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dflow.decorators import is_step
from dflow.errors import DflowError
from dflow.nextform import NextCall, NextRule, broken_rules
from dflow.parameters import Parameter

#: the rules a running step checks once its targets are known to be steps
_AFTER_STEPS = frozenset({NextRule.FOREACH_NOT_A_NAME, NextRule.FOREACH_TARGETS, NextRule.NO_CASES})


_UNSET = object()


@dataclass(eq=False)
class TaskContext:
    """What a running task gives its flow instance: one object, ``self._dflow_task``.

    ``loader`` reads an artifact (or parameter) by name; ``input`` and ``index`` are a
    foreach child's element (possibly a :class:`LazyValue`) and position; ``next_call`` is
    what the step's ``self.next(...)`` asked for; ``merged`` holds the artifacts
    ``merge_artifacts`` adopted. The engine hands each instance a subclass that implements
    :meth:`merge_artifacts` and :meth:`foreach_stack`, so this layer never imports it; a
    plain instance (``MyFlow(use_cli=False)``) gets this base, where they do nothing.
    """

    loader: Callable[[str], Any] | None = None
    input: Any = _UNSET
    index: int | None = None
    next_call: NextCall | None = None
    merged: dict[str, Any] = field(default_factory=dict)

    def merge_artifacts(
        self, flow: Any, inputs: Iterable[Any], include: Any = None, exclude: Any = None
    ) -> None:
        """Adopt the artifacts the inputs agree on (the engine's task implements it)."""
        raise DflowError(
            "merge_artifacts works only in a join step while a run executes it",
            hint="call self.merge_artifacts(inputs) inside a join step",
        )

    def foreach_stack(self, flow: Any) -> list[tuple[int, int, Any]] | None:
        """The enclosing foreach frames; None outside a run."""
        return None


class LazyValue:
    """A value loaded on first use (the engine's foreach ``input``)."""

    def __init__(self, loader: Callable[[], Any]) -> None:
        self._loader = loader

    def load(self) -> Any:
        """Load and return the value."""
        return self._loader()


class FlowSpec:
    """Base class of a flow: subclass it and write ``@step`` methods.

    ``MyFlow()`` runs the command line for the class (``python flow.py run``);
    ``MyFlow(use_cli=False)`` is a plain instance.
    """

    def __init__(self, use_cli: bool = True) -> None:
        if use_cli:
            from dflow.entry import run_cli

            run_cli(type(self))

    @property
    def name(self) -> str:
        """The flow's name (its class name)."""
        return type(self).__name__

    def next(self, *targets: Any, foreach: str | None = None, condition: str | None = None) -> None:
        """Name the step(s) to run after this one: ``self.next(self.a)``.

        ``self.next(self.a, self.b)`` branches; ``self.next(self.a, foreach="items")``
        runs ``a`` once per element of ``self.items``;
        ``self.next({"x": self.a, "y": self.b}, condition="choice")`` runs the step keyed
        by the value of ``self.choice``. Must be the last statement of a step.
        """
        task = self._task()
        if task.next_call is not None:
            raise DflowError(
                "self.next(...) was called twice in one step",
                hint="call self.next exactly once, as the step's last statement",
            )
        task.next_call = self._next_call(targets, foreach, condition)

    def _task(self) -> TaskContext:
        """This instance's task context (a plain one when no run gave it one)."""
        task = self.__dict__.get("_dflow_task")
        if task is None:
            task = self.__dict__["_dflow_task"] = TaskContext()
        return task

    def _step_name(self, target: Any) -> str:
        func = getattr(target, "__func__", None)
        if getattr(target, "__self__", None) is not self or not is_step(func):
            raise DflowError(
                f"self.next() takes steps of this flow, got {target!r}",
                hint="write self.next(self.step_name) with a method marked @step",
            )
        return func.__name__

    def _next_call(self, targets: tuple, foreach: Any, condition: Any) -> NextCall:
        """Check a ``self.next`` call against :mod:`dflow.nextform`'s rules, raising on
        the first it breaks, in the words of a running step."""
        single = targets[0] if len(targets) == 1 and isinstance(targets[0], dict) else None
        broken = broken_rules(
            steps=len(targets),
            cases=None if single is None else len(single),
            dicts=any(isinstance(t, dict) for t in targets),
            foreach=None if foreach is None else isinstance(foreach, str),
            condition=None if condition is None else isinstance(condition, str),
        )
        # the form first, then the steps named, then what needs the steps (Metaflow's order)
        for rule in broken:
            if rule not in _AFTER_STEPS:
                self._broken(rule, targets, foreach, condition)
        if single is not None and condition is not None:
            cases = tuple((value, self._step_name(t)) for value, t in single.items())
            for rule in broken:
                self._broken(rule, targets, foreach, condition)
            names = tuple(dict.fromkeys(name for _, name in cases))
            return NextCall(names, condition=condition, cases=cases)
        names = tuple(self._step_name(t) for t in targets)
        for rule in broken:
            self._broken(rule, names, foreach, condition)
        return NextCall(names, foreach=foreach)

    @staticmethod
    def _broken(rule: NextRule, targets: tuple, foreach: Any, condition: Any) -> None:
        form = 'self.next({"a": self.a, "b": self.b}, condition="choice")'
        if rule == NextRule.CONDITION_NOT_A_NAME:
            raise DflowError(
                f"condition= takes the name of an attribute as a string, got {condition!r}",
                hint=f"write {form}",
            )
        if rule in (NextRule.CONDITION_NEEDS_CASES, NextRule.SWITCH_TAKES_NO_FOREACH):
            raise DflowError(
                "a switch takes one dict {value: step} and condition=", hint=f"write {form}"
            )
        if rule == NextRule.NO_CASES:
            raise DflowError("a switch needs at least one case", hint=f"write {form}")
        if rule == NextRule.NO_STEP:
            raise DflowError(
                "self.next() needs at least one step", hint="write self.next(self.end)"
            )
        if rule == NextRule.CASES_NEED_CONDITION:
            raise DflowError(
                "self.next({...}) with a dict needs condition='attribute'",
                hint='write self.next({"a": self.a, "b": self.b}, condition="choice")',
            )
        if rule == NextRule.FOREACH_NOT_A_NAME:
            raise DflowError(
                f"foreach= takes the name of an attribute as a string, got {foreach!r}",
                hint='write self.next(self.step, foreach="items"), not foreach=self.items',
            )
        raise DflowError(  # NextRule.FOREACH_TARGETS
            "a foreach has exactly one target step",
            hint=f"write self.next(self.{targets[0]}, foreach={foreach!r})",
        )

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):
            loader = getattr(self.__dict__.get("_dflow_task"), "loader", None)
            if callable(loader):
                return loader(name)
        known = [n for n in self.__dict__ if not n.startswith("_")]
        close = difflib.get_close_matches(name, known, n=1)
        hint = (
            f" (did you mean {close[0]!r}?)"
            if close
            else (
                "; an artifact exists once a step has assigned self.<name> = value"
                if not name.startswith("_")
                else ""
            )
        )
        raise AttributeError(f"{type(self).__name__} has no artifact {name!r}{hint}")

    def _foreach_task(self, what: str) -> TaskContext:
        task = self.__dict__.get("_dflow_task")
        if task is None or task.index is None:
            raise DflowError(
                f"self.{what} is only set in a step inside a foreach",
                hint="self.input and self.index exist in the steps inside a foreach (up to "
                "its join)",
            )
        return task

    @property
    def input(self) -> Any:
        """In a foreach branch, the element this task handles."""
        task = self._foreach_task("input")
        if isinstance(task.input, LazyValue):
            task.input = task.input.load()
        return task.input

    @property
    def index(self) -> int:
        """In a foreach branch, the position of this task's element."""
        return self._foreach_task("index").index

    def foreach_stack(self) -> list[tuple[int, int, Any]] | None:
        """``(index, num_splits, value)`` for each enclosing foreach, outermost first
        (Metaflow's ``self.foreach_stack()``); ``[]`` outside a foreach."""
        return self._task().foreach_stack(self)

    def merge_artifacts(
        self,
        inputs: Iterable[Any],
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
    ) -> None:
        """In a join, copy the artifacts the branches agree on (Metaflow semantics)."""
        return self._task().merge_artifacts(self, inputs, include=include, exclude=exclude)

    @classmethod
    def run(cls, params: dict[str, Any] | None = None, /, **kwargs: Any) -> Any:
        """Run the flow from Python (a script, a notebook, a Dask session) and wait for it.

        Keyword arguments are the flow's parameters and the run options ``store``,
        ``store_options``, ``scheduler``, ``max_workers``, ``tags``, ``with_decorators``,
        ``quiet``, ``progress``, ``batch_size`` (a parameter named like an option goes in
        ``params``). Inside ``with Client(...):`` the run uses that client and leaves it
        open. Returns a :class:`~dflow.engine.options.RunResult` (``.run_id``,
        ``.successful``, ``.run`` for the client API)::

            result = TrainFlow.run(alpha=0.7, tags=["try-1"])
            result.run.data.best
        """
        from dflow.entry import run_class

        return run_class(cls, params, kwargs)

    @classmethod
    def delayed(cls, params: dict[str, Any] | None = None, /, **kwargs: Any) -> Any:
        """A run of this flow as a Dask collection (nothing runs until it is computed).

        Takes what ``run`` takes. ``dask.compute(*runs)`` runs several at once on the
        current cluster and gives their client ``Run`` objects; ``client.compute(run)``
        gives a Future; equal code and parameters give the same Dask key::

            runs = dask.compute(*[TrainFlow.delayed(alpha=a) for a in (0.1, 0.5)])
            [run.data.best for run in runs if run.successful]
        """
        from dflow.entry import delayed_run

        return delayed_run(cls, params, kwargs)

    @classmethod
    def resume(
        cls, origin_run_id: str | None = None, step: str | None = None, **options: Any
    ) -> Any:
        """Resume a run of this flow (default: the latest one by this user); see ``run``."""
        from dflow.entry import resume_class

        return resume_class(cls, origin_run_id, step, options)

    @classmethod
    def _dflow_parameters(cls) -> list[tuple[str, Parameter]]:
        """``(attribute, Parameter)`` pairs in class order, inherited ones included."""
        found: dict[str, Parameter] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, Parameter):
                    found[attr] = value
                elif attr in found:
                    del found[attr]
        return list(found.items())

    @classmethod
    def _dflow_steps(cls) -> dict[str, Callable]:
        """Step functions by name, in class order, inherited ones included."""
        found: dict[str, Callable] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if is_step(value):
                    found[attr] = value
                elif attr in found:
                    del found[attr]
        return found


#: Names a step or parameter may not take: they are FlowSpec's own attributes.
RESERVED_NAMES: frozenset[str] = frozenset(
    {n for n in dir(FlowSpec) if not n.startswith("_")}
    | {"run", "delayed", "resume", "name", "input", "index", "next", "merge_artifacts"}
    | {"foreach_stack"}
)
