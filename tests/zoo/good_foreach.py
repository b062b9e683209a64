from dflow import FlowSpec, step


class ForeachFlow(FlowSpec):
    """A foreach over a list, closed by a join."""

    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.square, foreach="items")

    @step
    def square(self):
        self.result = self.input**2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.results = [i.result for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print(self.results)
