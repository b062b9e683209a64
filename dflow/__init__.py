"""dflow: Metaflow-style workflows that run on Dask.

A workflow is a :class:`FlowSpec` subclass whose ``@step`` methods are joined by
``self.next(...)``. Every task runs as a Dask task; every artifact is stored once in a
content-addressed store; every run can be inspected, reproduced and resumed.
"""

__version__ = "0.1.0"

from dflow.current import current
from dflow.decorators import catch, environment, resources, retry, step, timeout
from dflow.flowspec import FlowSpec
from dflow.parameters import IncludeFile, JSONType, Parameter

__all__ = ["FlowSpec", "IncludeFile", "JSONType", "Parameter", "__version__", "catch", "current",
           "environment", "resources", "retry", "step", "timeout"]
