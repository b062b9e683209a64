from dflow import FlowSpec, step


class EndHasNextFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        self.next(self.start)  # LINT: end_has_no_next, no_cycles
