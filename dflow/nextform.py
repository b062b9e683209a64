"""The rules of a ``self.next(...)`` call's form, defined once.

A call that keeps them is one :class:`NextCall` (its targets, ``foreach=``, or a switch's
``condition=`` and cases); a step's node in the graph gives the one its source ends with
(:attr:`dflow.graph.model.StepNode.next_call`), so a running step's call is checked
against the graph by comparing the two.

Two readers apply the rules: the graph parser (:mod:`dflow.graph.nextcall`, from the AST, so
``dflow check`` reports every broken rule with its line) and :meth:`FlowSpec.next` at run
time (which raises on the first). Each reader describes the call as a few facts and phrases
the rules :func:`broken_rules` returns in its own words; what makes a step's targets steps
of the flow (``self.<step>`` in the source, a ``@step`` method at run time) stays with
each reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class NextCall:
    """What a step's ``self.next(...)`` asks for.

    ``targets`` are step names in the order written (a switch's case steps, each once);
    ``foreach`` the attribute to fan out over; ``condition`` the attribute whose value
    picks a case of a switch, and ``cases`` the switch's ``(value, step)`` pairs.

    >>> NextCall(("fit",), foreach="folds") == NextCall(("fit",), foreach="folds")
    True
    """

    targets: tuple[str, ...]
    foreach: str | None = None
    condition: str | None = None
    cases: tuple[tuple[Any, str], ...] = field(default=())


class NextRule(str, Enum):  # noqa: UP042 (str() stays the member name)
    """A rule of ``self.next``'s form, named by what breaks it."""

    CONDITION_NOT_A_NAME = "condition_not_a_name"  # condition=self.x, condition=3
    CASES_NEED_CONDITION = "cases_need_condition"  # self.next({...}) without condition=
    CONDITION_NEEDS_CASES = "condition_needs_cases"  # condition= with steps, not one dict
    SWITCH_TAKES_NO_FOREACH = "switch_takes_no_foreach"  # a dict of cases and foreach=
    NO_CASES = "no_cases"  # self.next({}, condition="x")
    NO_STEP = "no_step"  # self.next()
    FOREACH_NOT_A_NAME = "foreach_not_a_name"  # foreach=self.items
    FOREACH_TARGETS = "foreach_targets"  # foreach= with other than one step


def broken_rules(
    *,
    steps: int,
    cases: int | None,
    dicts: bool = False,
    foreach: bool | None = None,
    condition: bool | None = None,
) -> list[NextRule]:
    """Every rule a call breaks, in the order a run-time check meets them.

    ``steps`` counts the positional arguments; ``cases`` is the number of cases when the
    only one is a dict (a switch's form), else None; ``dicts`` says whether any positional
    argument is a dict; ``foreach`` and ``condition`` are None when absent, True when the
    name of an attribute (a string), False otherwise.

    >>> broken_rules(steps=1, cases=None)
    []
    >>> [str(r.value) for r in broken_rules(steps=2, cases=None, foreach=False)]
    ['foreach_not_a_name', 'foreach_targets']
    >>> [str(r.value) for r in broken_rules(steps=1, cases=0, condition=True)]
    ['no_cases']
    """
    broken: list[NextRule] = []
    if condition is False:
        broken.append(NextRule.CONDITION_NOT_A_NAME)
    if cases is not None:
        if condition is None:
            broken.append(NextRule.CASES_NEED_CONDITION)
        if foreach is not None:
            broken.append(NextRule.SWITCH_TAKES_NO_FOREACH)
        if cases == 0:
            broken.append(NextRule.NO_CASES)
        return broken
    if condition is not None:
        broken.append(NextRule.CONDITION_NEEDS_CASES)
    if steps == 0:
        broken.append(NextRule.NO_STEP)
    if dicts and condition is None:
        broken.append(NextRule.CASES_NEED_CONDITION)
    if foreach is False:
        broken.append(NextRule.FOREACH_NOT_A_NAME)
    if foreach is not None and steps != 1:
        broken.append(NextRule.FOREACH_TARGETS)
    return broken
