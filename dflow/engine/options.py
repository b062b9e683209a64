"""What a caller asks of a run and what it gets back: :class:`RunOptions`,
:class:`RunResult`, and how ``FlowSpec.run``-style keywords split into parameters and
options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dflow import renderers
from dflow.errors import DflowError, ErrorRecord, ParameterError


@dataclass(frozen=True)
class RunOptions:
    """How to run: store, scheduler, tags, extra decorators, output."""

    store: str | None = None
    store_options: dict | None = None
    scheduler: str | None = None
    max_workers: int | None = None
    tags: tuple[str, ...] = ()
    with_decorators: tuple[str, ...] = ()
    quiet: bool = False
    progress: bool | None = None  # None: on when stderr is a terminal
    batch_size: int | None = None  # children of a foreach per unit (None: sized)
    max_num_splits: int | None = None  # Metaflow's --max-num-splits (None: no limit)
    #: a file that gets {"flow_name", "run_id", "store_url"} once the run has started
    #: (what dflow.runner.Runner reads from the process it started)
    attribute_file: str | None = None
    branch: str | None = None  # @project's --branch
    configs: dict = field(default_factory=dict)  # Config name -> ("file"|"value", text)
    production: bool | None = None  # @project's --production
    origin_run_id: str | None = None
    reuse: dict = field(default_factory=dict)
    parameters_from_cli: bool = False
    #: resume: the origin run's record; its parameter values are reused as they are
    origin_record: dict | None = None


@dataclass(frozen=True)
class RunResult:
    """What a run ended as: its id, status and, if it failed, the error."""

    flow_name: str
    run_id: str
    status: str  # "succeeded" or "failed"
    store_url: str
    error: ErrorRecord | None = None
    store_options: dict | None = None

    @property
    def pathspec(self) -> str:
        """``Flow/run_id``."""
        return f"{self.flow_name}/{self.run_id}"

    @property
    def successful(self) -> bool:
        """True when every task succeeded."""
        return self.status == "succeeded"

    @property
    def run(self):
        """This run in the client API (``dflow.client.Run``), read from the run's store
        (the ``"client-run"`` view of :mod:`dflow.renderers`, which ``import dflow``
        registers)."""
        build = renderers.lookup("client-run")
        if build is None:  # pragma: no cover - dflow/__init__ registers it
            raise DflowError("the client API is not available (import dflow first)")
        # trusted: this process (or its cluster) just ran the flow's code that wrote it
        return build(self.pathspec, self.store_url, self.store_options, trusted=True)


#: RunOptions a caller of FlowSpec.run may pass as keywords.
PUBLIC_OPTIONS = (
    "store",
    "store_options",
    "scheduler",
    "max_workers",
    "tags",
    "with_decorators",
    "quiet",
    "progress",
    "batch_size",
    "max_num_splits",
    "branch",
    "production",
    "configs",
)


def split_keywords(flow_cls: type, kwargs: Mapping[str, Any]) -> tuple[dict, dict]:
    """Split ``FlowSpec.run``-style keywords into parameters and run options."""
    names = set()
    for attr, param in flow_cls._dflow_parameters():
        names.update({attr, param.name})
    params, opts = {}, {}
    for key, value in kwargs.items():
        if key in names:
            params[key] = value
        elif key in PUBLIC_OPTIONS:
            opts[key] = tuple(value) if key in ("tags", "with_decorators") else value
        else:
            raise ParameterError(
                f"{flow_cls.__name__} has no parameter or run option {key!r}",
                hint=f"parameters: {', '.join(sorted(names)) or 'none'}; "
                f"options: {', '.join(PUBLIC_OPTIONS)}",
            )
    return params, opts
