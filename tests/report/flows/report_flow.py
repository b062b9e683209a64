"""A flow with a branch, a foreach and a step that fails once before its retry succeeds."""

import numpy as np

from dflow import FlowSpec, Parameter, current, retry, step


class ReportFlow(FlowSpec):
    """Branch, foreach, retried failure: everything a run report has to show."""

    scale = Parameter("scale", default=3, type=int)
    explode = Parameter("explode", default=False, type=bool)

    @step
    def start(self):
        self.items = list(range(4))
        self.next(self.left, self.right)

    @step
    def left(self):
        self.matrix = np.arange(12.0).reshape(3, 4)
        self.next(self.join_branches)

    @retry(times=2, minutes_between_retries=0)
    @step
    def right(self):
        if current.retry_count == 0:
            raise RuntimeError("flaky on purpose: first attempt of right")
        self.note = "right recovered"
        self.next(self.join_branches)

    @step
    def join_branches(self, inputs):
        self.items = [i.items for i in inputs][0]
        self.next(self.fan, foreach="items")

    @step
    def fan(self):
        if self.explode and self.input == 2:
            raise ValueError(f"item {self.input} exploded on purpose")
        self.value = self.input * self.scale
        self.next(self.collect)

    @step
    def collect(self, inputs):
        self.values = [i.value for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.values)
