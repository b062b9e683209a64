from dflow import FlowSpec, step


class UnclosedForeachFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2]
        self.next(self.body, foreach="items")  # LINT: splits_are_joined

    @step
    def body(self):
        self.next(self.end)

    @step
    def end(self):
        pass
