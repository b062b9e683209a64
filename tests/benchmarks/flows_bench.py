"""Benchmark flows, written once and run by dflow and by Metaflow (only the import differs).

``render(kind, framework)`` returns the source of one flow file; the benchmark writes it
to a temp folder and runs it as ``python file.py run`` in a fresh process.
:func:`make_frame` is the frame of ``bench_frames.py`` (its source goes into the frame flow).
"""

import inspect

import numpy as np
import pandas as pd


def make_frame(rows: int) -> pd.DataFrame:
    """The benchmark frame, 8 columns with realistic redundancy; deterministic.

    A sorted int id, a minute timestamp (tz-aware), a 50-value categorical, a text column
    from 1,000 words, a price rounded to cents, a small-range int quantity, a bool flag
    and one column of random floats.
    """
    rng = np.random.default_rng(0)
    words = np.array([f"word{i:04d}" for i in range(1000)])
    return pd.DataFrame(
        {
            "id": np.arange(rows, dtype=np.int64),
            "when": pd.date_range("2026-01-01", periods=rows, freq="min", tz="UTC"),
            "shop": pd.Categorical.from_codes(
                rng.integers(0, 50, rows), [f"s{i}" for i in range(50)]
            ),
            "item": pd.Series(words[rng.integers(0, 1000, rows)], dtype="str"),
            "price": np.round(rng.gamma(2.0, 10.0, rows), 2),
            "qty": rng.integers(0, 100, rows, dtype=np.int32),
            "promo": rng.random(rows) < 0.1,
            "noise": rng.standard_normal(rows),
        }
    )


FOREACH = """
from {framework} import FlowSpec, Parameter, step


class ForeachBench(FlowSpec):
    n = Parameter("n", default=100)

    @step
    def start(self):
        self.items = list(range(self.n))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.out = self.input + 1
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.out for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print("total", self.total)


if __name__ == "__main__":
    ForeachBench()
"""

LINEAR = """
import time

from {framework} import FlowSpec, step


class LinearBench(FlowSpec):
    @step
    def start(self):
        print("first-task-at", repr(time.time()))  # the benchmark's first-task latency
        self.x = 1
        self.next(self.a)

    @step
    def a(self):
        self.x += 1
        self.next(self.b)

    @step
    def b(self):
        self.x *= 10
        self.next(self.end)

    @step
    def end(self):
        print("x", self.x)


if __name__ == "__main__":
    LinearBench()
"""

ARRAY = """
import time

import numpy as np

from {framework} import FlowSpec, Parameter, step


class ArrayBench(FlowSpec):
    mb = Parameter("mb", default=512)

    @step
    def start(self):
        rng = np.random.default_rng()  # new data every run: no store may dedup it away
        self.data = rng.standard_normal(self.mb * 2**20 // 8)
        self.made_at = time.time()
        self.next(self.use)

    @step
    def use(self):
        self.started_at = time.time()
        t = time.perf_counter()
        data = self.data
        self.load_seconds = time.perf_counter() - t
        self.total = float(data.sum())
        self.next(self.end)

    @step
    def end(self):
        print("save+handoff", round(self.started_at - self.made_at, 3), "load",
              round(self.load_seconds, 3))


if __name__ == "__main__":
    ArrayBench()
"""

FRAME = """
import time

import numpy as np
import pandas as pd

from {framework} import FlowSpec, Parameter, step

MAKE_FRAME


class FrameBench(FlowSpec):
    rows = Parameter("rows", default=1_000_000)

    @step
    def start(self):
        self.df = make_frame(self.rows)
        self.made_at = time.time()
        self.next(self.use)

    @step
    def use(self):
        self.started_at = time.time()
        t = time.perf_counter()
        df = self.df
        self.load_seconds = time.perf_counter() - t
        self.n = len(df)
        self.next(self.end)

    @step
    def end(self):
        print("save+handoff", round(self.started_at - self.made_at, 3), "load",
              round(self.load_seconds, 3))


if __name__ == "__main__":
    FrameBench()
"""

KINDS = {"foreach": FOREACH, "linear": LINEAR, "array": ARRAY, "frame": FRAME}


def render(kind: str, framework: str) -> str:
    """The source of a benchmark flow for ``framework`` ("dflow" or "metaflow")."""
    source = KINDS[kind].format(framework=framework)
    return source.replace("MAKE_FRAME", inspect.getsource(make_frame))
