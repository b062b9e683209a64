"""Credentials never appear in an error, a log, a record, the plan or a task payload."""

from __future__ import annotations

import subprocess
import sys

import pytest

SECRET = "s3cr3t-DO-NOT-PRINT-7f3a"


def _dflow(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dflow.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_json_typo_in_store_options_does_not_echo_them(tmp_path, monkeypatch):
    import os

    env = dict(os.environ)
    (tmp_path / "store").mkdir()
    env["DFLOW_STORE"] = str(tmp_path / "store")
    env["DFLOW_STORE_OPTIONS"] = '{"key": "AKIA-x", "secret": "' + SECRET + '",}'
    done = _dflow("runs", "SomeFlow", env=env)
    assert done.returncode == 1
    assert "DFLOW_STORE_OPTIONS is not valid JSON" in done.stderr
    assert "Traceback" not in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "AKIA-x" not in done.stdout + done.stderr


@pytest.mark.s3
@pytest.mark.cluster
@pytest.mark.timeout(240)
def test_a_secret_is_in_no_output_record_plan_or_task_payload(s3_server, tmp_path, capfd):
    import pickle
    import threading
    import time
    import uuid

    import s3fs
    from distributed import Client, LocalCluster
    from faultkit import FLOWS, run

    from dflow.flowfile import load_flow

    options = {"endpoint_url": s3_server.endpoint_url, "key": "AKIA-faults", "secret": SECRET}
    fs = s3fs.S3FileSystem(**options, skip_instance_cache=True)
    bucket = f"secrets-{uuid.uuid4().hex[:8]}"
    fs.mkdir(bucket)
    url = f"s3://{bucket}/store"
    signals = tmp_path / "signals"
    signals.mkdir()
    cls = load_flow(f"{FLOWS / 'waiting.py'}:WaitFlow")
    payloads: list[bytes] = []
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=True,
            dashboard_address=":0",
            silence_logs=50,
        ) as cluster,
        Client(cluster),
    ):
        outcome = {}

        def go() -> None:
            outcome["result"] = run(
                cls,
                url,
                {"signals": str(signals)},
                scheduler=cluster.scheduler_address,
                store_options=options,
            )

        thread = threading.Thread(target=go)
        thread.start()
        deadline = time.monotonic() + 120
        while not (signals / "waiting").exists():
            assert thread.is_alive() and time.monotonic() < deadline, outcome
            time.sleep(0.05)
        # every task the scheduler holds now (the plan, the steps submitted ahead)
        for ts in list(cluster.scheduler.tasks.values()):
            payloads.append(pickle.dumps(ts.run_spec))
        (signals / "go").touch()
        thread.join(120)
    result = outcome["result"]
    assert result.successful, result.error
    assert payloads
    assert not [p for p in payloads if SECRET.encode() in p], "a task payload holds the secret"
    for path in fs.find(bucket):
        assert SECRET.encode() not in fs.cat_file(path), f"{path} holds the secret"
    out, err = capfd.readouterr()
    assert SECRET not in out + err
    fs.rm(bucket, recursive=True)


def _run_on_a_cluster_with(worker_env: dict, url: str, options: dict):
    import dask
    from distributed import Client, LocalCluster
    from faultkit import run, zoo_flow

    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=50,
            env=worker_env,
        ) as cluster,
        Client(cluster) as client,
        dask.config.set({"dflow.store.send-options": False}),
    ):
        result = run(
            zoo_flow("good_linear.py", "LinearFlow"),
            url,
            scheduler=cluster.scheduler_address,
            store_options=options,
        )
        plugins = client.run(lambda dask_worker: sorted(dask_worker.plugins))
        plugins = [name for names in plugins.values() for name in names]
    return result, plugins


@pytest.mark.s3
@pytest.mark.cluster
@pytest.mark.timeout(240)
def test_on_a_shared_cluster_workers_use_their_own_credentials(s3_server):
    """send-options: false keeps the client's options home; the workers' own (their
    DFLOW_STORE names the store) are the ones used: pointed elsewhere, the run fails."""
    import json
    import uuid

    import s3fs

    options = {"endpoint_url": s3_server.endpoint_url, "key": "AKIA-client", "secret": SECRET}
    bucket = f"shared-{uuid.uuid4().hex[:8]}"
    s3fs.S3FileSystem(**options, skip_instance_cache=True).mkdir(bucket)
    url = f"s3://{bucket}/store"
    theirs = {"endpoint_url": s3_server.endpoint_url, "key": "AKIA-worker", "secret": "w"}
    env = {"DFLOW_STORE": url, "DFLOW_STORE_OPTIONS": json.dumps(theirs)}
    result, plugins = _run_on_a_cluster_with(env, url, options)
    assert result.successful, result.error
    assert not [p for p in plugins if p.startswith("dflow-store-options")], plugins

    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = {"endpoint_url": f"http://127.0.0.1:{port}", "key": "k", "secret": "s"}
    wrong = {"DFLOW_STORE": url, "DFLOW_STORE_OPTIONS": json.dumps(dead)}
    result, _ = _run_on_a_cluster_with(wrong, url, options)
    assert not result.successful
    assert f"127.0.0.1:{port} is unreachable" in result.error.message, result.error
    assert SECRET not in repr(result.error)
