"""Read the ``self.next(...)`` calls of a step from its AST.

:func:`parse_next` finds the trailing call and describes it (targets, transition,
foreach variable, switch cases); every malformed form becomes a :class:`Problem` with
the call's line and a hint showing the right form.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from dflow.graph.model import Transition
from dflow.graph.problems import Problem
from dflow.nextform import NextRule, broken_rules

SWITCH_FORM = 'self.next({"a": self.a, "b": self.b}, condition="attribute")'


@dataclass
class NextInfo:
    """The trailing ``self.next`` of a step, as read from the source."""

    transition: Transition = Transition.END
    out: tuple[str, ...] = ()
    foreach_var: str | None = None
    switch_var: str | None = None
    switch_cases: tuple[tuple[Any, str], ...] = ()
    line: int = 0
    problems: list[Problem] = field(default_factory=list)


def is_next_call(node: ast.AST) -> bool:
    """True for a ``self.next(...)`` call node."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "next"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    )


def next_calls(func: ast.AST) -> list[ast.Call]:
    """Every ``self.next`` call in a function body (nested defs excluded)."""
    found: list[ast.Call] = []
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if is_next_call(node):
            found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _self_attr(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ):
        return node.attr
    return None


class _Reader:
    def __init__(self, step: str, file: str, call: ast.Call) -> None:
        self.step, self.file, self.call = step, file, call
        self.info = NextInfo(line=call.lineno)

    def problem(self, message: str, hint: str | None, node: ast.AST | None = None) -> None:
        line = getattr(node, "lineno", None) or self.call.lineno
        self.info.problems.append(Problem(self.file, line, message, hint, check="next_form"))

    def target(self, node: ast.AST) -> str | None:
        name = _self_attr(node)
        if name is None:
            self.problem(
                f"step {self.step!r}: self.next() takes steps written as self.<step>, "
                f"got {ast.unparse(node)!r}",
                "write self.next(self.step_name)",
                node,
            )
        return name

    def attr_name(self, keyword: ast.keyword | None) -> tuple[str | None, bool | None]:
        """The attribute a ``foreach=``/``condition=`` names, and whether it is written as
        a string (None when the keyword is absent)."""
        if keyword is None:
            return None, None
        value = keyword.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value, True
        return _self_attr(value), False

    def not_a_name(self, keyword: ast.keyword) -> None:
        value = keyword.value
        attr = _self_attr(value)
        shown = ast.unparse(value)
        hint = (
            f"write {keyword.arg}={attr!r}, not {keyword.arg}={shown}"
            if attr
            else f'write {keyword.arg}="attribute_name"'
        )
        self.problem(
            f"step {self.step!r}: {keyword.arg}= takes the name of an attribute as a "
            f"string, got {shown}",
            hint,
            value,
        )

    def read(self) -> NextInfo:
        kwargs = {k.arg: k for k in self.call.keywords}
        for key in kwargs:
            if key not in ("foreach", "condition"):
                self.problem(
                    f"step {self.step!r}: self.next() has no option {key}=",
                    "self.next takes steps, foreach= or condition=",
                )
        foreach, condition = kwargs.get("foreach"), kwargs.get("condition")
        foreach_var, foreach_named = self.attr_name(foreach)
        switch_var, condition_named = self.attr_name(condition)
        args = self.call.args
        cases = None
        if len(args) == 1 and isinstance(args[0], ast.Dict):
            self.info.transition = Transition.SWITCH
            self.info.switch_var = switch_var
            problems, self.info.problems = self.info.problems, []
            cases = self.read_switch(args[0])  # its problems go after the form's
            problems, self.info.problems = self.info.problems, problems
        else:
            problems = []
            names = [self.target(arg) for arg in args]
            self.info.out = tuple(n for n in names if n)
            if foreach is not None:
                self.info.transition = Transition.FOREACH
                self.info.foreach_var = foreach_var
            else:
                self.info.transition = Transition.SPLIT if len(names) > 1 else Transition.LINEAR
        broken = broken_rules(
            steps=len(args),
            cases=cases,
            dicts=any(isinstance(a, ast.Dict) for a in args),
            foreach=foreach_named,
            condition=condition_named,
        )
        for rule in broken:
            if rule == NextRule.NO_CASES:
                self.info.problems.extend(problems)
                problems = []
            if rule == NextRule.CONDITION_NOT_A_NAME:
                self.not_a_name(condition)
            elif rule == NextRule.FOREACH_NOT_A_NAME:
                self.not_a_name(foreach)
            else:
                message, hint = _MESSAGES[rule]
                self.problem(f"step {self.step!r}: " + message.format(steps=len(args)), hint)
        self.info.problems.extend(problems)
        return self.info

    def read_switch(self, cases: ast.Dict) -> int:
        """Read a switch's cases; how many are readable."""
        pairs = []
        for key, value in zip(cases.keys, cases.values, strict=True):
            try:
                case = ast.literal_eval(key) if key is not None else None
            except (ValueError, TypeError, SyntaxError):
                self.problem(
                    f"step {self.step!r}: switch case {ast.unparse(key)} is not a literal value",
                    f"write {SWITCH_FORM}",
                    key,
                )
                continue
            target = self.target(value)
            if target:
                pairs.append((case, target))
        self.info.switch_cases = tuple(pairs)
        self.info.out = tuple(dict.fromkeys(t for _, t in pairs))
        return len(pairs)


#: how ``dflow check`` words each rule of :mod:`dflow.nextform` (``{steps}``: how many)
_MESSAGES: dict[NextRule, tuple[str, str]] = {
    NextRule.CASES_NEED_CONDITION: (
        "self.next() with a dict of cases needs condition=",
        f"write {SWITCH_FORM}",
    ),
    NextRule.CONDITION_NEEDS_CASES: ("condition= needs a dict of cases", f"write {SWITCH_FORM}"),
    NextRule.SWITCH_TAKES_NO_FOREACH: ("a switch takes no foreach=", f"write {SWITCH_FORM}"),
    NextRule.NO_CASES: ("a switch needs at least one case", f"write {SWITCH_FORM}"),
    NextRule.NO_STEP: ("self.next() names no step", "write self.next(self.next_step)"),
    NextRule.FOREACH_TARGETS: (
        "a foreach has exactly one target step, got {steps}",
        'write self.next(self.body, foreach="items")',
    ),
}


def parse_next(step: str, file: str, func: ast.FunctionDef | ast.AsyncFunctionDef) -> NextInfo:
    """Describe the trailing ``self.next`` of a step; stray calls become problems."""
    calls = next_calls(func)
    last = func.body[-1] if func.body else None
    trailing = last.value if isinstance(last, ast.Expr) and is_next_call(last.value) else None
    # A misplaced call still tells where the step goes: read it, report only its place.
    main = trailing if trailing is not None else (calls[-1] if calls else None)
    info = _Reader(step, file, main).read() if main is not None else NextInfo()
    for call in calls:
        if call is not trailing:
            info.problems.append(
                Problem(
                    file,
                    call.lineno,
                    f"step {step!r}: self.next(...) must be the last statement of the step",
                    "compute the choice first, then call self.next once at the end "
                    "(use condition= for a run-time choice)",
                    check="next_last",
                )
            )
    return info
