"""A flow whose middle step waits for a file the test creates (a sync run in progress)."""

import time
from pathlib import Path

from dflow import FlowSpec, Parameter, step


class SyncGatedFlow(FlowSpec):
    """start -> 3 x hold (item 1 waits for the gate file) -> join -> end."""

    gate = Parameter("gate", default="", type=str)

    @step
    def start(self):
        self.items = [0, 1, 2]
        self.next(self.hold, foreach="items")

    @step
    def hold(self):
        deadline = time.monotonic() + 120
        while self.gate and self.input == 1 and not Path(self.gate).exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the test never created the gate file")
            time.sleep(0.05)
        self.value = self.input * 10
        self.next(self.join)

    @step
    def join(self, inputs):
        self.values = [i.value for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass
