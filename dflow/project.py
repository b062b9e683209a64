"""``@project(name=...)``: a flow belongs to a project and runs on a branch (Metaflow's
project decorator).

The branch is ``user.<username>`` by default, ``test.<branch>`` with ``--branch``,
``prod`` with ``--production`` and ``prod.<branch>`` with both. In a step,
``current.project_name``, ``current.branch_name``, ``current.project_flow_name``
(``<project>.<branch>.<Flow>``), ``current.is_production`` and ``current.is_user_branch``
say where the run belongs; the run gets the system tags ``project:<name>`` and
``project_branch:<branch>``. Example::

    @project(name="fraud")
    class ScoreFlow(FlowSpec):
        ...
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dflow.errors import DflowError

PROJECT_ATTR = "_dflow_project"
_INVALID = re.compile(r"[^a-z0-9_]")
_MAX_LEN = 128


def _check_name(what: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise DflowError(f"the @project {what} must be a non-empty string, got {value!r}")
    if _INVALID.search(value):
        raise DflowError(
            f"the @project {what} {value!r} may use only lowercase letters, digits and '_'",
            hint="Metaflow's rule: [a-z0-9_]",
        )
    if len(value) > _MAX_LEN:
        raise DflowError(f"the @project {what} must be shorter than {_MAX_LEN} characters")
    return value


def project(
    cls: type | None = None, *, name: str, branch: str | None = None, production: bool = False
) -> Callable[[type], type] | type:
    """Class decorator ``@project(name="x", branch=None, production=False)``."""
    _check_name("name", name)
    if branch is not None:
        _check_name("branch", branch)

    def decorate(flow_cls: type) -> type:
        setattr(flow_cls, PROJECT_ATTR, {"name": name, "branch": branch, "production": production})
        return flow_cls

    return decorate(cls) if cls is not None else decorate


def project_info(
    flow_cls: type, user: str, branch: str | None = None, production: bool | None = None
) -> dict | None:
    """Where a run of ``flow_cls`` belongs, or None without @project.

    ``branch``/``production`` come from the command line (``--branch``, ``--production``)
    and win over the decorator's own.
    """
    spec = getattr(flow_cls, PROJECT_ATTR, None)
    if spec is None:
        if branch or production:
            raise DflowError(
                f"--branch/--production need a @project on {flow_cls.__name__}",
                hint='decorate the class with @project(name="...")',
            )
        return None
    given = branch if branch is not None else spec["branch"]
    prod = bool(production) if production is not None else bool(spec["production"])
    if given is not None:
        _check_name("branch", given)
        branch_name = f"prod.{given}" if prod else f"test.{given}"
    else:
        branch_name = "prod" if prod else f"user.{user}"
    return {
        "name": spec["name"],
        "branch": branch_name,
        "flow_name": f"{spec['name']}.{branch_name}.{flow_cls.__name__}",
        "is_production": prod,
        "is_user_branch": given is None and not prod,
    }
