"""Shared fixtures: a fresh local store, the session's Dask cluster, and an S3-compatible
server (moto) on 127.0.0.1 with fresh buckets on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from netkit import free_port


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A fresh local store."""
    return str(tmp_path / "store")


@pytest.fixture(scope="session")
def dask_cluster():
    """The session's shared Dask cluster: 2 worker processes with 2 threads each."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=2,
        processes=True,
        dashboard_address=":0",
        resources={"CPU": 2, "MEMORY": 4000},
        silence_logs=50,
    )
    yield cluster
    cluster.close()


@pytest.fixture
def scheduler(dask_cluster) -> str:
    """The shared cluster's scheduler address."""
    return dask_cluster.scheduler_address


@dataclass(frozen=True)
class S3Server:
    """A running moto server: its endpoint URL and the options s3fs needs for it."""

    endpoint_url: str

    @property
    def options(self) -> dict:
        """fsspec/s3fs storage options for this server (moto accepts any credentials)."""
        return {"endpoint_url": self.endpoint_url, "key": "testing", "secret": "testing"}


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """Start moto's ThreadedMotoServer on 127.0.0.1 for the session, stop it afterwards."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(endpoint_url=f"http://127.0.0.1:{port}")
    finally:
        server.stop()


@pytest.fixture
def s3_store_url(s3_server: S3Server) -> Iterator[tuple[str, dict]]:
    """A fresh, empty bucket: yields ``(url, options)`` for ``dflow.store.open_store``."""
    import s3fs

    options = s3_server.options
    fs = s3fs.S3FileSystem(**options)
    bucket = f"dflow-test-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket)
    try:
        yield f"s3://{bucket}/store", dict(options)
    finally:
        fs.rm(bucket, recursive=True)
        fs.invalidate_cache()


def pytest_ignore_collect(collection_path, config) -> bool | None:
    """Under tests/ only ``test_*.py`` files are collected.

    ``--doctest-modules`` (setup.cfg) is for the examples in dflow/'s docstrings; the zoo's
    broken flows, the kits and the conftests here are not modules to import as tests.
    """
    if collection_path.suffix == ".py" and not collection_path.name.startswith("test_"):
        return True
    return None


@pytest.fixture(autouse=True)
def _client_defaults_left_as_found() -> Iterator[None]:
    """A test that points the client's default store or namespace elsewhere must put it
    back (the next test would read another store): reset it, and fail the test."""
    yield
    from dflow.client.context import _DEFAULT, DEFAULT_CONTEXT

    leaked = []
    if DEFAULT_CONTEXT._url is not None or DEFAULT_CONTEXT._given:
        leaked.append(f"store {DEFAULT_CONTEXT!r}")
    if DEFAULT_CONTEXT._namespace is not _DEFAULT:
        leaked.append(f"namespace {DEFAULT_CONTEXT._namespace!r}")
    if leaked:
        DEFAULT_CONTEXT.set_store(None)
        DEFAULT_CONTEXT.reset_namespace()
        pytest.fail(f"the test left the client's default {' and '.join(leaked)} set")
