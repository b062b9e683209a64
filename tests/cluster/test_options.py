"""``dflow cluster up`` options and the command lines they become."""

from __future__ import annotations

import os
import sys

import pytest

from dflow.cluster.launch import (
    ClusterOptions,
    _scheduler_argv,
    _worker_argv,
    parse_resources,
    resources_argument,
)
from dflow.errors import ClusterError


def test_parse_resources():
    assert parse_resources("GPU=1,MEMORY=4e9") == {"GPU": 1.0, "MEMORY": 4e9}
    assert parse_resources("GPU=2 FPGA=0.5") == {"GPU": 2.0, "FPGA": 0.5}
    assert parse_resources(None) == {} and parse_resources("") == {}
    for bad in ("GPU", "GPU=x", "=1", "GPU=-1"):
        with pytest.raises(ClusterError, match="bad resource"):
            parse_resources(bad)


def test_resources_argument_is_space_separated():
    assert resources_argument({"GPU": 1.0, "MEMORY": 4e9}) == "GPU=1 MEMORY=4000000000"
    assert resources_argument({"FPGA": 0.5}) == "FPGA=0.5"


def test_default_threads_share_the_cores():
    assert ClusterOptions(workers=1).nthreads() == (os.cpu_count() or 1)
    assert ClusterOptions(workers=64).nthreads() == 1
    assert ClusterOptions(workers=2, threads_per_worker=3).nthreads() == 3


def test_worker_command_line(tmp_path):
    opts = ClusterOptions(
        workers=2, threads_per_worker=2, memory_limit="2GB", resources={"GPU": 1.0, "MEMORY": 4e9}
    )
    argv = _worker_argv(opts, "tcp://127.0.0.1:8786", 1, None)
    assert argv[:4] == [sys.executable, "-m", "distributed.cli.dask_worker", "tcp://127.0.0.1:8786"]
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--resources") + 1] == "GPU=1 MEMORY=4000000000"
    assert argv[argv.index("--nthreads") + 1] == "2"
    assert argv[argv.index("--memory-limit") + 1] == "2GB"
    assert "--tls-cert" not in argv


def test_scheduler_command_line_with_tls_and_preload(tmp_path):
    tls = {"ca_file": "ca", "scheduler_cert": "s.crt", "scheduler_key": "s.key"}
    opts = ClusterOptions(port=0, dashboard_port=0, preload=("a.mod", "b.py"), tls=True)
    argv = _scheduler_argv(opts, tmp_path / "s.json", tls)
    assert argv[2] == "distributed.cli.dask_scheduler"
    assert argv[argv.index("--port") + 1] == "0"
    assert argv[argv.index("--dashboard-address") + 1] == "127.0.0.1:0"
    assert argv[argv.index("--tls-cert") + 1] == "s.crt"
    assert argv[argv.index("--protocol") + 1] == "tls"
    preloads = [argv[i + 1] for i, a in enumerate(argv) if a == "--preload"]
    assert preloads[-2:] == ["a.mod", "b.py"]  # the user's, in order, after dflow's own
