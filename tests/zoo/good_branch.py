from dflow import FlowSpec, step


class BranchFlow(FlowSpec):
    """A static split into two branches, then a join."""

    @step
    def start(self):
        self.x = 1
        self.next(self.a, self.b)

    @step
    def a(self):
        self.y = self.x + 1
        self.next(self.join)

    @step
    def b(self):
        self.y = self.x + 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.y for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(self.total)
