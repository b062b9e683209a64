from dflow import FlowSpec, step


class StepNameFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.Train)

    @step
    def Train(self):  # LINT: step_names
        self.next(self.input)

    @step
    def input(self):  # LINT: step_names
        self.next(self.end)

    @step
    def end(self):
        pass
