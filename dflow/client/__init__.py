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

import importlib
from typing import Any

from dflow.errors import ErrorRecord

#: The earlier name of what Task.exception and Run.exception give (dflow's one error record).
TaskException = ErrorRecord

#: Where each name lives. The package loads a module when one of its names is first used,
#: so importing one small module of the client (``dflow.client.timefmt``, which the
#: dashboard uses at a scheduler's start) does not load the whole client and the store.
_HOMES = {
    "ArtifactSet": "artifacts",
    "DataArtifact": "artifacts",
    "TaskData": "artifacts",
    "DflowObject": "base",
    "UnknownAttributeError": "base",
    "UnknownKeyError": "base",
    "RunCode": "code",
    "ClientContext": "context",
    "default_namespace": "context",
    "get_namespace": "context",
    "get_store": "context",
    "namespace": "context",
    "set_store": "context",
    "Run": "core",
    "Flow": "flows",
    "Metaflow": "flows",
    "get_metadata": "metadata_calls",
    "metadata": "metadata_calls",
    "Step": "tasks",
    "Task": "tasks",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'dflow.client' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"dflow.client.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


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
