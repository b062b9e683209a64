"""Fixtures of the store suite: one store per backend (local folder, memory://, S3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import fsspec
import pytest

from dflow.store import Store, open_store

BACKENDS = ["local", "memory", "s3"]


@pytest.fixture(params=BACKENDS)
def backend_url(request, tmp_path) -> Iterator[tuple[str, dict]]:
    """``(url, options)`` of a fresh, empty store on each backend."""
    if request.param == "local":
        yield str(tmp_path / "store"), {}
    elif request.param == "memory":
        name = f"memory://dflow-test-{uuid.uuid4().hex[:12]}"
        yield name, {}
        fs, path = fsspec.filesystem("memory"), name.split("://")[1]
        if fs.exists(path):
            fs.rm(path, recursive=True)
    else:
        yield request.getfixturevalue("s3_store_url")


@pytest.fixture
def store(backend_url) -> Store:
    """A fresh trusted store on each backend."""
    url, options = backend_url
    return open_store(url, options)


@pytest.fixture
def small_arrays():
    """Make arrays of >= 64 KiB go to zarr, in chunks of 16 KiB, so tests stay fast."""
    import dask.config

    with dask.config.set(
        {"dflow.store.array-threshold": 65536, "dflow.store.array-chunk-bytes": 16384}
    ):
        yield
