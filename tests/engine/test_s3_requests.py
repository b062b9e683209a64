"""What a task costs on S3, counted request by request on the s3fs client."""

from __future__ import annotations

from collections import Counter

import pytest
import s3fs
from runkit import flow_class, run

from dflow.store import open_store

pytestmark = pytest.mark.s3


def _count_requests(url: str, options: dict, cls: type) -> Counter:
    """Run ``cls`` in-process on the S3 store; count its requests by operation."""
    # The store's s3fs (fsspec caches instances: every store opened alike shares it).
    fs = open_store(url, options).io.fs.fs
    assert isinstance(fs, s3fs.S3FileSystem)
    fs.connect()
    seen: Counter = Counter()

    def count(request, **_: object) -> None:
        if "heartbeat.json" not in request.url:  # a timer's writes: not the tasks' cost
            seen[request.method] += 1

    fs.s3.meta.events.register("before-send.s3", count)
    try:
        result = run(cls, url, store_options=options)
    finally:
        fs.s3.meta.events.unregister("before-send.s3", count)
    assert result.status == "succeeded", result.error
    return seen


def test_a_task_with_three_small_artifacts_costs_at_most_six_requests(s3_store_url) -> None:
    url, options = s3_store_url
    _count_requests(url, options, flow_class("ThreeStepFlow", "request_counts.py"))  # warm: code
    three = _count_requests(url, options, flow_class("ThreeStepFlow", "request_counts.py"))
    five = _count_requests(url, options, flow_class("FiveStepFlow", "request_counts.py"))
    per_task = (sum(five.values()) - sum(three.values())) / 2
    assert sum(three.values()) > 0  # the counter sees the store's requests
    # started.json, the listing of its attempts, three values, the commit (DONE, holding
    # manifest and record: store layout 2; layout 1 took 8 with manifest.json, record.json)
    assert per_task <= 6, f"{per_task} requests per task: 3 steps {three}, 5 steps {five}"
