"""``dflow cluster``: a Dask scheduler and workers that later runs find on their own.

``dflow cluster up`` starts real ``dask scheduler`` / ``dask worker`` processes in the
background and records them in ``dflow_home()/cluster.json``; the engine finds that
cluster with :func:`active_cluster` and gets a client with :func:`connect` (TLS applied).
"""

from dflow.cluster.record import (
    ClusterRecord,
    active_cluster,
    connect,
    load_record,
    record_path,
)

__all__ = ["ClusterRecord", "active_cluster", "connect", "load_record", "record_path"]
