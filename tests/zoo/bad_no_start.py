from dflow import FlowSpec, step


class NoStartFlow(FlowSpec):  # LINT: start_and_end
    @step
    def begin(self):
        self.next(self.end)

    @step
    def end(self):
        pass
