"""@kubernetes/@batch as Dask resource requests, and @pypi/@conda checked on the workers
before the run starts (Metaflow's decorators, their Dask meaning)."""

from __future__ import annotations

from importlib import metadata

import pytest

from dflow import FlowSpec, batch, conda, kubernetes, pypi, pypi_base, resources, step
from dflow.decorators import step_decorators
from dflow.engine.packages import PackagesMissingError

MSGPACK = metadata.version("msgpack")


def test_kubernetes_and_batch_become_resources_and_warn_once_about_the_rest():
    with pytest.warns(UserWarning, match="ignores image, secrets") as caught:

        @kubernetes(cpu=2, memory=8000, image="python:3.12", secrets=["s"])
        @resources(memory=16000)
        @step
        def fit(self):
            pass

    assert len(caught) == 1
    got = dict(step_decorators(fit)["resources"].options)
    assert got["cpu"] == 2 and got["memory"] == 16000 and got["gpu"] == 0

    @batch(gpu=1, memory="2048")
    @step
    def train(self):
        pass

    got = dict(step_decorators(train)["resources"].options)
    assert got["gpu"] == 1 and got["memory"] == 2048


def _flow(step_packages: dict, base: dict | None = None) -> type:
    class PackagesFlow(FlowSpec):
        @pypi(packages=step_packages)
        @step
        def start(self):
            import msgpack

            self.version = msgpack.version
            self.next(self.end)

        @conda(packages={}, python=None)
        @step
        def end(self):
            pass

    return pypi_base(packages=base)(PackagesFlow) if base else PackagesFlow


def test_present_packages_run(store_url):
    cls = _flow({"msgpack": MSGPACK}, base={"pyyaml": ""})
    result = cls.run(store=store_url, scheduler="sync", quiet=True)
    assert result.successful


def test_missing_or_mismatched_packages_fail_before_any_task(store_url):
    cls = _flow({"msgpack": "0.0.1", "no-such-package-dflow": "1.0"})
    with pytest.raises(PackagesMissingError) as info:
        cls.run(store=store_url, scheduler="sync", quiet=True)
    text = str(info.value)
    assert f"msgpack==0.0.1 (found {MSGPACK} on this process)" in text
    assert "no-such-package-dflow==1.0 (missing" in text
    assert "PipInstall" in text and "deploy/" in text
    from dflow.client import ClientContext, Flow
    from dflow.errors import ObjectNotFoundError

    with pytest.raises(ObjectNotFoundError):  # nothing ran: no run is listed
        Flow("PackagesFlow", ClientContext(store_url, namespace=None))


def test_the_check_asks_the_workers_of_a_cluster(store_url):
    from distributed import Client, LocalCluster

    cls = _flow({"no-such-package-dflow": ">=1"})
    with LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            with pytest.raises(PackagesMissingError, match="missing on tcp://|missing on inproc"):
                cls.run(store=store_url, scheduler=client.scheduler.address, quiet=True)
