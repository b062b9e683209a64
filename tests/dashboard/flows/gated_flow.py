"""A flow whose middle step waits on a distributed.Event the test sets (a run in progress)."""

from dflow import FlowSpec, Parameter, step


class GatedFlow(FlowSpec):
    """start -> 3 x hold (each waits for the test's gate) -> join -> end."""

    gate = Parameter("gate", default="", type=str)

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
        self.value = self.input * 10
        self.next(self.join)

    @step
    def join(self, inputs):
        self.values = [i.value for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass
