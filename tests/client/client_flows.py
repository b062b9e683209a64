"""Small flows for the client tests (a flow class must live in a real file)."""

import sys

import numpy as np

from dflow import FlowSpec, Parameter, current, retry, step


class ParamsFlow(FlowSpec):
    """y = 2 * alpha, computed in the end step."""

    alpha = Parameter("alpha", default=0.5, type=float)

    @step
    def start(self):
        self.x = 1
        self.next(self.end)

    @step
    def end(self):
        self.y = 2 * self.alpha
        print("y is", self.y)


class FailingFlow(FlowSpec):
    """The middle step prints, writes to stderr, then raises."""

    @step
    def start(self):
        self.before = "ok"
        self.next(self.explode)

    @step
    def explode(self):
        print("about to fail")
        print("warning: bad input", file=sys.stderr)
        raise ValueError("boom in explode")
        self.next(self.end)  # noqa: B018 - the graph needs the transition

    @step
    def end(self):
        pass


class RetryFlow(FlowSpec):
    """A step that fails on its first attempt and succeeds on its second."""

    @retry(times=1, minutes_between_retries=0)
    @step
    def start(self):
        print("attempt", current.retry_count)
        if current.retry_count == 0:
            raise RuntimeError("first attempt fails")
        self.value = 42
        self.next(self.end)

    @step
    def end(self):
        pass


class ArrayFlow(FlowSpec):
    """Saves an array large enough to be stored as zarr (chunked)."""

    @step
    def start(self):
        self.big = np.arange(400_000, dtype="float64")
        self.small = np.arange(5)
        self.next(self.end)

    @step
    def end(self):
        pass
