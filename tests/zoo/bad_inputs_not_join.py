from dflow import FlowSpec, step


class InputsNotJoinFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)

    @step
    def middle(self, inputs):  # LINT: inputs_only_in_joins
        self.next(self.end)

    @step
    def end(self):
        pass
