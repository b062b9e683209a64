from dflow import FlowSpec, step


class MissingStepDecoratorFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)  # LINT: unknown_targets

    def middle(self):  # LINT: missing_step
        self.next(self.end)

    @step
    def end(self):  # LINT: unreachable_steps
        pass
