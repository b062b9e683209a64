from dflow import FlowSpec, step


class DuplicateStepFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def start(self):  # noqa: F811  # LINT: duplicate_step
        self.next(self.end)

    @step
    def end(self):
        pass
