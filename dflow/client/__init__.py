"""The read-only client API: inspect past runs with Metaflow's names.

A Metaflow client script works after changing its import line::

    from dflow.client import Flow, Run, Task, namespace

    run = Flow("TrainFlow").latest_successful_run
    print(run.data.best, run.parameters, run.tags)
    for task in run["fit"]:
        print(task.index, task.data.score, task.successful)

Objects: :class:`Metaflow` (``.flows``), :class:`Flow`, :class:`Run`, :class:`Step`,
:class:`Task` and :class:`DataArtifact`, each built from a pathspec
(``Flow/run_id/step/task_id``) or reached from its parent. Everything is read lazily
from the store (``set_store(url)``, else ``DFLOW_STORE`` or the nearest ``.dflow``
folder). Namespaces (:func:`namespace`, :func:`get_namespace`,
:func:`default_namespace`) work as in Metaflow. The client never imports the engine.
"""

from __future__ import annotations

from dflow.client.artifacts import ArtifactSet, DataArtifact, TaskData
from dflow.client.base import DflowObject, UnknownAttributeError, UnknownKeyError
from dflow.client.code import RunCode
from dflow.client.context import (
    ClientContext,
    default_namespace,
    get_namespace,
    get_store,
    namespace,
    set_store,
)
from dflow.client.core import Run
from dflow.client.flows import Flow, Metaflow
from dflow.client.metadata import get_metadata, metadata
from dflow.client.tasks import Step, Task
from dflow.errors import ErrorRecord

#: The earlier name of what Task.exception and Run.exception give (dflow's one error record).
TaskException = ErrorRecord

__all__ = [
    "ArtifactSet",
    "ClientContext",
    "DataArtifact",
    "DflowObject",
    "ErrorRecord",
    "Flow",
    "Metaflow",
    "Run",
    "RunCode",
    "Step",
    "Task",
    "TaskData",
    "TaskException",
    "UnknownAttributeError",
    "UnknownKeyError",
    "default_namespace",
    "get_metadata",
    "get_namespace",
    "get_store",
    "metadata",
    "namespace",
    "set_store",
]
