"""Two branches that run at once on one worker: @environment on one must not leak."""

import os
import time

from dflow import FlowSpec, environment, step


class EnvBesideFlow(FlowSpec):
    """left holds a variable while right keeps reading the environment."""

    @step
    def start(self):
        self.next(self.left, self.right)

    @environment(vars={"DFLOW_BESIDE": "secret"})
    @step
    def left(self):
        deadline = time.time() + 1.0
        while time.time() < deadline:
            self.left_saw = os.environ.get("DFLOW_BESIDE")
            time.sleep(0.01)
        self.next(self.join)

    @step
    def right(self):
        seen = set()
        deadline = time.time() + 1.0
        while time.time() < deadline:
            seen.add(os.environ.get("DFLOW_BESIDE"))
            time.sleep(0.01)
        self.right_saw = sorted(seen, key=str)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.left_saw = inputs.left.left_saw
        self.right_saw = inputs.right.right_saw
        self.next(self.end)

    @step
    def end(self):
        pass
