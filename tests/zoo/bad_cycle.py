from dflow import FlowSpec, step


class CycleFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a)

    @step
    def a(self):
        self.next(self.b)

    @step
    def b(self):
        self.next(self.a)  # LINT: no_cycles

    @step
    def end(self):  # LINT: unreachable_steps
        pass
