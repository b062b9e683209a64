"""A zoo of small flows, good and bad, shared by every test suite.

Usage (``tests/`` is on ``sys.path`` under pytest; ``pythonpath = tests`` in setup.cfg)::

    from zoo import GOOD_FLOWS, BAD_FLOWS, BROKEN_FILES, zoo_path, load_zoo, expected_problems

    flow_cls = load_zoo("good_foreach.py")          # the FlowSpec class in the file
    path = zoo_path("bad_cycle.py")                 # a pathlib.Path, e.g. for `dflow check`
    expected_problems("bad_cycle.py")               # [(15, "no_cycles"), (18, "unreachable_steps")]

- ``GOOD_FLOWS``: file name -> flow class name; each passes ``dflow check``.
- ``BAD_FLOWS``: files whose flow imports fine but fails lint. Each line where a problem
  is expected ends with ``# LINT: <check>[, <check>...]`` (the lint check names, see
  ``dflow.graph.lint.CHECKS`` and the ``check`` field of ``Problem``).
- ``BROKEN_FILES``: files that cannot be loaded at all (import error, no flow, two
  flows), mapped to a fragment of the expected error message. A file with a syntax
  error would break ``ruff``, so :func:`write_broken_syntax` writes one where asked
  (its error is on line :data:`BROKEN_SYNTAX_LINE`).
- Flows that the report and dashboard tests run and watch: ``gated_foreach.py``
  (``GatedFlow``, held in progress by the test's gate) and ``big_foreach.py``
  (``BigForeachFlow``, 1,000 tasks).
"""

from __future__ import annotations

import re
from pathlib import Path

ZOO_DIR = Path(__file__).resolve().parent

GOOD_FLOWS: dict[str, str] = {
    "good_linear.py": "LinearFlow",
    "good_branch.py": "BranchFlow",
    "good_foreach.py": "ForeachFlow",
    "good_nested_foreach.py": "NestedForeachFlow",
    "good_branch_in_foreach.py": "BranchInForeachFlow",
    "good_parameters.py": "ParametersFlow",
    "good_switch.py": "SwitchFlow",
    "good_decorators.py": "DecoratorsFlow",
    "good_loop.py": "WhileFlow",
    "good_loop_back.py": "LoopBackFlow",
}

BAD_FLOWS: tuple[str, ...] = tuple(sorted(p.name for p in ZOO_DIR.glob("bad_*.py")))

BROKEN_FILES: dict[str, str] = {
    "broken_import.py": "a_module_that_does_not_exist",
    "broken_no_flow.py": "defines no FlowSpec subclass",
    "broken_two_flows.py": "defines several flows",
}

_MARKER = re.compile(r"#\s*LINT:\s*(?P<checks>[\w, ]+)$")


def zoo_path(name: str) -> Path:
    """The absolute path of a zoo file (``"good_linear.py"``)."""
    path = ZOO_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"no zoo file {name!r} in {ZOO_DIR}")
    return path


def load_zoo(name: str) -> type:
    """Import a zoo file with :func:`dflow.flowfile.load_flow` and return its flow class."""
    from dflow.flowfile import load_flow

    return load_flow(str(zoo_path(name)))


def expected_problems(name: str) -> list[tuple[int, str]]:
    """``(line, check)`` for every ``# LINT:`` marker of a bad zoo file, in line order."""
    found = []
    for number, text in enumerate(zoo_path(name).read_text().splitlines(), start=1):
        match = _MARKER.search(text)
        if match:
            found.extend((number, c.strip()) for c in match["checks"].split(",") if c.strip())
    return found


BROKEN_SYNTAX_SOURCE = """\
from dflow import FlowSpec, step


class BrokenSyntaxFlow(FlowSpec):
    @step
    def start(self)
        self.next(self.end)
"""
BROKEN_SYNTAX_LINE = 6


def write_broken_syntax(folder: Path) -> Path:
    """Write a flow file with a syntax error (line 6) into ``folder``; return its path."""
    path = Path(folder) / "broken_syntax.py"
    path.write_text(BROKEN_SYNTAX_SOURCE)
    return path
