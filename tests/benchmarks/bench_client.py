"""Time the client on a long history (run by hand: ``python tests/benchmarks/bench_client.py``).

Writes N run records of one flow straight through the store API (no flows are run) into
a temporary local store, then times, each in a fresh client context: listing every run
(ids, statuses), the first page of run records, and ``latest_successful_run`` followed by
loading its end task's artifact. Prints medians of 5 repetitions.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))

from history_records import FLOW, write_history  # noqa: E402

from dflow.client import ClientContext, Flow  # noqa: E402
from dflow.store import open_store  # noqa: E402


def timed(fn, repeat: int = 5) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(count: int = 1000) -> None:
    """Build the history and print the timings."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "store"))
        start = time.perf_counter()
        statuses = {count - 1 - i: ("failed", "alice") for i in range(5)}
        write_history(store, count, statuses)
        print(f"wrote {count} run records in {time.perf_counter() - start:.1f} s")

        def ctx() -> ClientContext:
            return ClientContext(store.url, namespace="user:alice")

        def list_all() -> None:
            assert len(list(Flow(FLOW, ClientContext(store.url, namespace=None)))) == count

        def first_page() -> None:
            runs = Flow(FLOW, ctx()).runs()
            assert len([next(runs) for _ in range(20)]) == 20

        def latest_artifact() -> None:
            assert Flow(FLOW, ctx()).latest_successful_run.data.y == count - 6

        print(f"list all {count} runs (index only):         {timed(list_all):7.1f} ms")
        print(f"first 20 runs of the namespace (records):  {timed(first_page):7.1f} ms")
        print(f"latest_successful_run + load its artifact: {timed(latest_artifact):7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
