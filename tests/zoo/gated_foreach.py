"""A run the test holds in progress: ``hold`` waits for the test's gate.

Shared by the report and dashboard tests. ``gate=`` names a ``distributed.Event`` that
every hold task waits for (a run on a cluster); ``gate_file=`` names a file that item 1
waits for (a ``--scheduler sync`` run, which has no scheduler to hold an Event).
"""

import time
from pathlib import Path

from dflow import FlowSpec, Parameter, step


class GatedFlow(FlowSpec):
    """start -> 3 x hold (each waits for the gate) -> join -> end."""

    gate = Parameter("gate", default="", type=str)
    gate_file = Parameter("gate_file", default="", type=str)

    @step
    def start(self):
        self.items = [0, 1, 2]
        self.next(self.hold, foreach="items")

    @step
    def hold(self):
        if self.gate:
            from distributed import Event

            if not Event(self.gate).wait(timeout=60):
                raise TimeoutError("the test never opened the gate")
        deadline = time.monotonic() + 120
        while self.gate_file and self.input == 1 and not Path(self.gate_file).exists():
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
