from dflow import FlowSpec, step


class UnknownTargetFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.ned)  # LINT: unknown_targets

    @step
    def end(self):  # LINT: unreachable_steps
        pass
