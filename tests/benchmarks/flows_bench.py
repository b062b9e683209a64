"""Benchmark flows, written once and run by dflow and by Metaflow (only the import differs).

``render(kind, framework)`` returns the source of one flow file; the benchmark writes it
to a temp folder and runs it as ``python file.py run`` in a fresh process.
"""

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
from {framework} import FlowSpec, step


class LinearBench(FlowSpec):
    @step
    def start(self):
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

KINDS = {"foreach": FOREACH, "linear": LINEAR, "array": ARRAY}


def render(kind: str, framework: str) -> str:
    """The source of a benchmark flow for ``framework`` ("dflow" or "metaflow")."""
    return KINDS[kind].format(framework=framework)
