from dflow import FlowSpec, step


class NextNotLastFlow(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next(self.end)  # LINT: next_last
        self.y = 2

    @step
    def end(self):
        pass
