"""dflow: Metaflow-style workflows that run on Dask.

A workflow is a :class:`FlowSpec` subclass whose ``@step`` methods are joined by
``self.next(...)``. Every task runs as a Dask task; every artifact is stored once in a
content-addressed store; every run can be inspected, reproduced and resumed.

The client API (``Flow``, ``Run``, ``Step``, ``Task``, ``DataArtifact``, ``Metaflow``,
``namespace``, ...) is importable from here too, as from ``metaflow``; it is loaded on
first use, so defining and running flows does not pay for it.
"""

from dflow import renderers as _renderers
from dflow.cloud_decorators import batch, conda, conda_base, kubernetes, pypi, pypi_base
from dflow.config_spec import Config, config_expr
from dflow.current import current
from dflow.decorators import card, catch, environment, resources, retry, step, timeout
from dflow.flowspec import FlowSpec
from dflow.parameters import IncludeFile, JSONType, Parameter
from dflow.project import project
from dflow.version import __version__

# Lower layers ask for these by name (dflow.renderers): the client's Run.report() and its
# notebook view never import the report layer, and the store's staged writes (a dask
# array or dataframe being saved) never import distributed.
_renderers.register("run-report", "dflow.report:report_of")
_renderers.register("cluster-compute", "dflow.engine.dask_context:compute_settled")
# A finished run's result (the engine's RunResult.run) is read back through the client,
# which the engine never imports.
_renderers.register("client-run", "dflow.client.core:run_in_store")

_CLIENT_NAMES = (
    "DataArtifact",
    "Flow",
    "Metaflow",
    "Run",
    "Step",
    "Task",
    "default_namespace",
    "get_metadata",
    "get_namespace",
    "metadata",
    "namespace",
)

_RUNNER_NAMES = ("NBRunner", "Runner")

__all__ = [
    "Config",
    "FlowSpec",
    "IncludeFile",
    "JSONType",
    "Parameter",
    "__version__",
    "batch",
    "card",
    "catch",
    "config_expr",
    "conda",
    "conda_base",
    "current",
    "project",
    "pypi",
    "pypi_base",
    "environment",
    "kubernetes",
    "resources",
    "retry",
    "step",
    "timeout",
    *_CLIENT_NAMES,
    *_RUNNER_NAMES,
]


def __getattr__(name: str):
    if name in _CLIENT_NAMES:
        import dflow.client

        return getattr(dflow.client, name)
    if name in _RUNNER_NAMES:
        import dflow.runner

        return getattr(dflow.runner, name)
    raise AttributeError(f"module 'dflow' has no attribute {name!r}")
