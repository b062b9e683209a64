"""The S3 server goes away: one dflow error line, a bounded end, and resume finishes it.

A moto server of this module's own (ThreadedMotoServer on 127.0.0.1) is stopped in the
middle of a run and started again on the same port (moto keeps its buckets in this
process, so the store comes back as it was).
"""

from __future__ import annotations

import json
import socket
import time
import uuid

import pytest
from faultkit import FLOWS, dflow_cli
from netkit import free_port

pytestmark = [pytest.mark.s3, pytest.mark.timeout(240)]

IO_TIMEOUT = "2"  # seconds: small, so the test stays short


class Moto:
    """A moto server that can be stopped and started again on its port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server = None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def options(self) -> dict:
        return {"endpoint_url": f"http://127.0.0.1:{self.port}", "key": "k", "secret": "s"}


@pytest.fixture
def moto():
    server = Moto()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _env(moto: Moto, url: str) -> dict:
    return {
        "DFLOW_STORE": url,
        "DFLOW_STORE_OPTIONS": json.dumps(moto.options),
        "DASK_DFLOW__STORE__IO_TIMEOUT": IO_TIMEOUT,
        "DASK_DFLOW__STORE__IO_RETRIES": "2",
        "DASK_DFLOW__HEARTBEAT__INTERVAL": "0.5",
    }


def _assert_one_clear_error(done, port: int) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "Exception in thread" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert f"127.0.0.1:{port} is unreachable (connection refused)" in errors[0]
    assert "s3://" in errors[0] and "does not exist" not in errors[0]
    assert len(done.stderr.splitlines()) <= 12, done.stderr


def test_a_store_that_goes_away_mid_run_ends_it_clearly_and_resume_finishes(moto, tmp_path):
    import s3fs

    bucket = f"outage-{uuid.uuid4().hex[:8]}"
    s3fs.S3FileSystem(**moto.options, skip_instance_cache=True).mkdir(bucket)
    url = f"s3://{bucket}/store"
    signals = tmp_path / "signals"
    signals.mkdir()
    flow = str(FLOWS / "waiting.py")
    import os
    import subprocess
    import sys

    env = {**os.environ, **_env(moto, url)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dflow.cli.main", "run", flow, "--signals", str(signals)]
        + ["--max-workers", "1"],  # on the embedded cluster: workers lose the store too
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while not (signals / "waiting").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the wait step never started"
            time.sleep(0.05)
        moto.stop()  # the store goes away mid-run
        (signals / "go").touch()
        stdout, stderr = proc.communicate(timeout=120)  # bounded: never hangs
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    _assert_one_clear_error(
        subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), moto.port
    )

    moto.start()  # the store is back, as it was
    (signals / "resumed").touch()
    done = dflow_cli("resume", flow, "--scheduler", "sync", env=_env(moto, url))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "succeeded" in done.stdout + done.stderr
    listed = dflow_cli("runs", "WaitFlow", "-A", env=_env(moto, url))
    assert listed.returncode == 0, listed.stderr
    assert "succeeded" in listed.stdout


def test_an_endpoint_with_nothing_listening_is_not_a_missing_bucket(tmp_path):
    port = free_port()  # nothing listens there
    env = {
        "DFLOW_STORE": "s3://some-bucket/store",
        "DFLOW_STORE_OPTIONS": json.dumps(
            {"endpoint_url": f"http://127.0.0.1:{port}", "key": "k", "secret": "s"}
        ),
        "DASK_DFLOW__STORE__IO_TIMEOUT": IO_TIMEOUT,
    }
    for args in (("runs", "AnyFlow"), ("run", str(FLOWS / "waiting.py"), "--scheduler", "sync")):
        done = dflow_cli(*args, env=env)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr, done.stderr
        assert f"127.0.0.1:{port} is unreachable (connection refused)" in done.stderr
        assert "does not exist" not in done.stderr


def test_a_missing_bucket_is_said_so(moto):
    env = {
        "DFLOW_STORE": "s3://no-such-bucket-here/store",
        "DFLOW_STORE_OPTIONS": json.dumps(moto.options),
    }
    done = dflow_cli("runs", "AnyFlow", env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "bucket" in done.stderr and "does not exist" in done.stderr


def _runs_with(store_options: dict, **env: str):
    return dflow_cli(
        "runs",
        "AnyFlow",
        env={
            "DFLOW_STORE": "s3://some-bucket/store",
            "DFLOW_STORE_OPTIONS": json.dumps(store_options),
            **env,
        },
    )


def _assert_said(done, cause: str, secret: str = "") -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "s3://some-bucket/store" in error and cause in error, done.stderr
    assert not secret or secret not in done.stdout + done.stderr


def test_a_server_that_never_answers_is_a_timeout_after_io_retries_attempts():
    import threading

    held = []  # every connection made to the server, kept open and never answered

    def take(server: socket.socket) -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:  # closed: the test is over
                return

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        taker = threading.Thread(target=take, args=(silent,), daemon=True)
        taker.start()
        port = silent.getsockname()[1]
        options = {"endpoint_url": f"http://127.0.0.1:{port}", "key": "k", "secret": "s3cr3t"}
        done = _runs_with(
            options, DASK_DFLOW__STORE__IO_TIMEOUT="1", DASK_DFLOW__STORE__IO_RETRIES="3"
        )
        silent.shutdown(socket.SHUT_RDWR)
    taker.join(10)
    for conn in held:
        conn.close()
    _assert_said(done, "did not answer in time (store.io-timeout is 1 s)", "s3cr3t")
    # one request, io-retries attempts in all (not botocore's times s3fs's: 9)
    assert len(held) == 3


def test_no_credentials_at_all_is_said_so(moto, tmp_path):
    import os

    nowhere = str(tmp_path / "nowhere")
    env: dict = {k: None for k in os.environ if k.startswith("AWS_")}  # none of the caller's
    env.update(
        AWS_SHARED_CREDENTIALS_FILE=nowhere,
        AWS_CONFIG_FILE=nowhere,
        AWS_EC2_METADATA_DISABLED="true",
    )
    done = _runs_with({"endpoint_url": moto.options["endpoint_url"]}, **env)
    _assert_said(done, "no credentials were found for the store")


def test_credentials_the_server_refuses_are_access_denied(tmp_path):
    import os
    import subprocess
    import sys
    import urllib.request

    port = free_port()
    server = subprocess.Popen(  # a moto of its own that checks credentials
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no moto"
                time.sleep(0.1)
        options = {"endpoint_url": f"http://127.0.0.1:{port}", "key": "AKIA-x", "secret": "s3cr3t"}
        done = _runs_with(options)
    finally:
        server.kill()
        server.wait()
    _assert_said(done, "access was denied", "s3cr3t")
