"""A flow whose middle step waits for a signal file (so a test can break things meanwhile)."""

import os
import time

from dflow import FlowSpec, Parameter, step


class WaitFlow(FlowSpec):
    """start -> wait (until <signals>/go exists) -> end."""

    signals = Parameter("signals", default="")

    @step
    def start(self):
        self.x = 1
        self.next(self.wait)

    @step
    def wait(self):
        if self.signals and not os.path.exists(os.path.join(self.signals, "resumed")):
            open(os.path.join(self.signals, "waiting"), "w").close()
            deadline = time.monotonic() + 120
            while not os.path.exists(os.path.join(self.signals, "go")):
                if time.monotonic() > deadline:
                    raise RuntimeError("no go signal")
                time.sleep(0.05)
        self.y = self.x + 1
        self.next(self.end)

    @step
    def end(self):
        print("y is", self.y)


if __name__ == "__main__":
    WaitFlow()
