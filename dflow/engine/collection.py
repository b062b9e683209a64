"""A run as a Dask collection: ``FlowCls.delayed(**params)``.

The collection is one key whose task drives the run. On a Dask worker the run is driven
through ``distributed.worker_client`` (see :mod:`dflow.engine.targets`), so the task
leaves the worker's thread pool while the run's own tasks use the cluster: several runs
in one ``dask.compute`` run at the same time and never deadlock, even on one worker with
one thread. Computing it gives the run in the client API (:class:`dflow.client.Run`;
check ``run.successful``)::

    runs = dask.compute(*[TrainFlow.delayed(alpha=a) for a in (0.1, 0.5, 0.9)])
    best = max(runs, key=lambda run: run.data.best)
    future = client.compute(TrainFlow.delayed(alpha=0.7))   # a Future of the Run

Its token comes from the flow's code (the flow file's bytes) and its parameters and run
options, so equal code and parameters give the same key (and Dask computes it once),
other parameters another key. ``key_split`` of the key is ``"TrainFlow.run"``.
``.visualize()`` draws the flow's step graph (Graphviz), ``.dot()`` gives its source.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dask.threaded
import xxhash
from dask.base import DaskMethodsMixin, tokenize
from dask.highlevelgraph import HighLevelGraph

from dflow.errors import DflowError
from dflow.flowfile import flow_source_file


@dataclass(frozen=True)
class FlowRef:
    """How a task finds the flow class: its module, name and file (a class defined in a
    notebook cell travels by value instead)."""

    module: str
    name: str
    file: str

    def resolve(self) -> type:
        """The flow class: imported by module name, else loaded from its file."""
        module = sys.modules.get(self.module)
        if module is not None and getattr(module, self.name, None) is not None:
            return getattr(module, self.name)
        try:
            return getattr(importlib.import_module(self.module), self.name)
        except (ImportError, AttributeError):
            from dflow.flowfile import load_flow

            return load_flow(f"{self.file}:{self.name}")


def _ref(flow_cls: type) -> FlowRef | type:
    path = flow_source_file(flow_cls)
    if path is None:
        return flow_cls  # cloudpickle ships a notebook's class by value
    return FlowRef(flow_cls.__module__, flow_cls.__name__, str(path))


def code_digest(flow_cls: type) -> str:
    """A digest of the flow's code: its file's bytes, else the class's source."""
    path = flow_source_file(flow_cls)
    if path is not None:
        return xxhash.xxh3_128_hexdigest(path.read_bytes())
    try:
        source = inspect.getsource(flow_cls)
    except (OSError, TypeError):
        import cloudpickle

        return xxhash.xxh3_128_hexdigest(cloudpickle.dumps(flow_cls))
    return xxhash.xxh3_128_hexdigest(source.encode())


@dataclass(frozen=True)
class RunCall:
    """The task of a delayed run: run the flow with these parameters and options."""

    flow: FlowRef | type
    params: tuple[tuple[str, Any], ...]
    options: tuple[tuple[str, Any], ...]

    def __call__(self) -> Any:
        """Run the flow (on a worker: through ``worker_client``); its RunResult."""
        from dflow.engine.launch import run_class

        flow_cls = self.flow.resolve() if isinstance(self.flow, FlowRef) else self.flow
        return run_class(flow_cls, dict(self.params), dict(self.options))


def _finalize(results: list) -> Any:
    return results[0].run


class DelayedRun(DaskMethodsMixin):
    """A run of a flow that has not started: a Dask collection of one key."""

    __dask_scheduler__ = staticmethod(dask.threaded.get)
    __dask_optimize__ = None

    def __init__(
        self, flow_cls: type, call: RunCall, values: Mapping, graph: Mapping | None = None
    ) -> None:
        self._flow_cls = flow_cls
        self._call = call
        self._values = dict(values)  # the parameters' resolved values make the token
        self._token = tokenize(
            flow_cls.__name__, code_digest(flow_cls), sorted(self._values.items()), call.options
        )
        self._name = f"{flow_cls.__name__}.run-{self._token}"
        self._key = self._name
        if graph is None:
            graph = HighLevelGraph.from_collections(self._name, {self._key: (call,)})
        self._graph = graph

    def __dask_graph__(self) -> Mapping:
        return self._graph

    def __dask_keys__(self) -> list:
        return [self._key]

    def __dask_layers__(self) -> tuple[str, ...]:
        return (self._name,)

    def __dask_tokenize__(self) -> str:
        return self._token

    def __dask_postcompute__(self) -> tuple:
        return _finalize, ()

    def __dask_postpersist__(self) -> tuple:
        return _rebuild, (self._flow_cls, self._call, self._values)

    @property
    def key(self) -> str:
        """The Dask key of the run's task (``"Flow.run-<token>"``)."""
        return self._key

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Delayed{self._flow_cls.__name__}({params})  # key {self._key}"

    def dot(self) -> str:
        """The flow's step graph as Graphviz ``dot`` source."""
        from dflow.graph import validate
        from dflow.graph.render import render_dot

        return render_dot(validate(self._flow_cls))

    def visualize(self, filename: str | None = None, format: str | None = None, **kwargs: Any):
        """Draw the flow's step graph (a ``graphviz.Source``; written to ``filename``
        if given). Needs the ``graphviz`` package; ``.dot()`` needs nothing."""
        try:
            import graphviz
        except ImportError:
            raise DflowError(
                "drawing a flow's graph needs the graphviz Python package",
                hint="pip install graphviz (and the Graphviz programs), or take the dot "
                "source from .dot() and draw it elsewhere",
            ) from None
        source = graphviz.Source(self.dot())
        if filename is not None:
            stem, _, ext = filename.rpartition(".")
            source.render(stem or filename, format=format or ext or "png", cleanup=True)
        return source


def _rebuild(
    dsk: Mapping, flow_cls: type, call: RunCall, values: Mapping, rename: Mapping | None = None
) -> DelayedRun:
    return DelayedRun(flow_cls, call, values, graph=dsk)


def delayed_run(
    flow_cls: type, given: Mapping[str, Any] | None, kwargs: Mapping[str, Any]
) -> DelayedRun:
    """``FlowCls.delayed(params, **kwargs)``: keywords are parameters or run options
    (``params`` holds parameters only), checked now rather than on a worker."""
    from dflow.engine.launch import split_keywords
    from dflow.parameters import resolve_parameters

    params, options = split_keywords(flow_cls, kwargs)
    params.update(given or {})
    values = resolve_parameters(flow_cls, dict(params))  # a bad one fails here, not later
    options.setdefault("quiet", True)
    call = RunCall(_ref(flow_cls), tuple(sorted(params.items())), tuple(sorted(options.items())))
    return DelayedRun(flow_cls, call, values)
