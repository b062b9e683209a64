from dflow import FlowSpec, step


class UnreachableFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def orphan(self):  # LINT: unreachable_steps
        self.next(self.end)

    @step
    def end(self):
        pass
