"""A foreach whose children wait for the test's signal, so a worker can be killed mid-run."""

import os
import time
from pathlib import Path

from dflow import FlowSpec, Parameter, step


class KillableFlow(FlowSpec):
    """Children write their worker pid to ``signal_dir`` and wait for ``go`` there."""

    signal_dir = Parameter("signal_dir", default="")

    @step
    def start(self):
        self.items = list(range(6))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        folder = Path(self.signal_dir)
        (folder / f"pid-{self.input}-{os.getpid()}").write_text(str(os.getpid()))
        deadline = time.time() + 60
        while not (folder / "go").exists() and time.time() < deadline:
            time.sleep(0.02)
        self.value = self.input * 10
        self.next(self.join)

    @step
    def join(self, inputs):
        self.values = sorted(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass
