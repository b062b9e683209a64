"""Where zarr arrays live in the store, how they are opened, and how a write is committed.

An array is visible only through its completion marker ``arrays/<k[:2]>/<k[2:]>/
dflow-complete.json``, written last. Its zarr data sits beside the marker, or, for an
array written on an object store before its key was known (a dask array, whose Merkle key
needs every chunk's digest), at the staging prefix the marker's ``"data"`` field names
(``staging/<uuid>``): an object store has no rename, and copying gigabytes to move them
would double the write. On a local folder a staged array is renamed into place instead.
A staging prefix without a marker pointing at it is an abandoned write: never read.
"""

from __future__ import annotations

import json
import os
from typing import Any

import fsspec
import zarr
from zarr.storage import FsspecStore, LocalStore

from dflow.errors import ArtifactCorruptError, ArtifactNotFoundError
from dflow.store.array_layout import ARRAY_MARKER, LAYOUT_VERSION
from dflow.store.arrays import open_zarr
from dflow.store.files import io_error
from dflow.store.iolimits import with_io_limits
from dflow.store.keys import shard
from dflow.store.location import protocol_of
from dflow.store.refs import what


def array_rel(key: str, area: str = "arrays") -> str:
    """The folder of the array (or table) stored under ``key``."""
    return f"{area}/{shard(key)}"


def zarr_store(store: Any, rel: str, *, read_only: bool) -> Any:
    """A zarr store over folder ``rel`` of ``store``."""
    if store.io.local:
        return LocalStore(store.io.full(rel), read_only=read_only)
    proto = protocol_of(store.url)
    return FsspecStore.from_url(
        f"{proto}://{store.io.full(rel)}",
        storage_options=with_io_limits(proto, store.options),
        read_only=read_only,
    )


def remove_tree(store: Any, rel: str) -> None:
    """Remove folder ``rel`` of ``store`` with everything under it (absent is fine)."""
    store.io.check_writable(rel)
    if store.io.local:
        store.io.rmtree(store.io.full(rel))
        return
    proto = protocol_of(store.url)
    fs, path = fsspec.core.url_to_fs(
        f"{proto}://{store.io.full(rel)}", **with_io_limits(proto, store.options)
    )
    try:
        fs.rm(path, recursive=True)
    except FileNotFoundError:
        pass
    fs.invalidate_cache()


def compute_settled(value: Any) -> Any:
    """``dask.compute(value)`` with Dask's current scheduler, except that when a task
    fails, no other task of ``value`` is still running when the error is raised.

    A staged write removes its staging prefix when the computation fails; a writer still
    running would put files back after the removal. Dask's own ``compute`` raises at the
    first error while the rest keep running, so: on the threaded scheduler the tasks run
    in a pool of this call's own, shut down (waiting) before the error leaves; on a
    ``distributed`` client the engine's ``"cluster-compute"`` (registered in
    :mod:`dflow.renderers` by the package's top: the store layer does not import
    distributed) persists the collection and waits for every output, the calling task
    seceded meanwhile. The synchronous scheduler has nothing running beside it; the
    multiprocessing scheduler is used as is.
    """
    import concurrent.futures

    import dask
    import dask.threaded

    from dflow.renderers import lookup

    scheduler = dask.base.get_scheduler(collections=[value])
    client = getattr(scheduler, "__self__", None)
    on_cluster = lookup("cluster-compute")
    if client is not None and "Client" in type(client).__name__ and on_cluster is not None:
        return on_cluster(client, value)
    if scheduler is dask.threaded.get:
        workers = dask.config.get("num_workers", None) or dask.threaded.CPU_COUNT
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            (out,) = dask.compute(value, scheduler=pool)
        return out
    (out,) = dask.compute(value)
    return out


def read_marker(store: Any, key: str, name: str, area: str = "arrays") -> dict:
    """The completion marker of ``key``; ArtifactNotFoundError when it was never completed."""
    rel = f"{array_rel(key, area)}/{ARRAY_MARKER}"
    try:
        marker = json.loads(store.io.read(rel))
    except FileNotFoundError:
        raise ArtifactNotFoundError(
            f"{what(key, name)} is missing from the store at {store.url} "
            "(or was never completely written)",
            hint="the store may be incomplete; rerun the step that produced it",
        ) from None
    except ValueError as exc:
        raise ArtifactCorruptError(
            f"{what(key, name)} is corrupt: its {ARRAY_MARKER} is not valid JSON ({exc})",
            hint="the store is damaged; rerun the step that produced it",
        ) from None
    except OSError as exc:
        raise io_error("read", rel, exc) from exc
    if not isinstance(marker, dict):
        raise ArtifactCorruptError(f"{what(key, name)} is corrupt: its {ARRAY_MARKER} is no dict")
    return marker


def data_rel(key: str, marker: dict, area: str = "arrays") -> str:
    """Where the data of a completed array or table lives (beside its marker, or staged)."""
    return str(marker.get("data") or array_rel(key, area))


def open_checked(store: Any, key: str, name: str, *, check_crc: bool = False) -> zarr.Array:
    """Open the completed array ``key`` read-only; its chunks are checked as they are read."""
    marker = read_marker(store, key, name)
    all_chunks = marker.get("all_chunks") is True
    zstore = zarr_store(store, data_rel(key, marker), read_only=True)
    return open_zarr(zstore, key, name, all_chunks=all_chunks, check_crc=check_crc)


def is_complete(store: Any, key: str, area: str = "arrays") -> bool:
    """True if ``key``'s completion marker exists."""
    return store.io.exists(f"{array_rel(key, area)}/{ARRAY_MARKER}")


def commit_staged(store: Any, key: str, staging: str, doc: dict, area: str = "arrays") -> None:
    """Make the write at ``staging`` the stored ``key``: marker last; an existing copy wins.

    Locally the staging folder (marker included) is renamed to its final folder; on an
    object store the marker is written at the final place, pointing at ``staging``. When
    ``key`` is already complete the staging copy is removed instead.
    """
    final = array_rel(key, area)
    if is_complete(store, key, area):
        remove_tree(store, staging)
        return
    body = json.dumps({"layout": LAYOUT_VERSION, "key": key, **doc}, sort_keys=True).encode()
    if not store.io.local:
        store.io.write(
            f"{final}/{ARRAY_MARKER}",
            json.dumps({**json.loads(body), "data": staging}, sort_keys=True).encode(),
        )
        return
    io = store.io
    with open(os.path.join(io.full(staging), ARRAY_MARKER), "wb") as f:
        f.write(body)
    os.makedirs(os.path.dirname(io.full(final)), exist_ok=True)
    try:
        os.rename(io.full(staging), io.full(final))
    except OSError:
        if not is_complete(store, key, area):
            io.rmtree(io.full(final))  # a leftover without its marker is not trusted
            os.rename(io.full(staging), io.full(final))
        else:
            io.rmtree(io.full(staging))
