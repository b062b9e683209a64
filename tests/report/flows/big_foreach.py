"""A foreach of 1,000 trivial tasks (the report must still render quickly)."""

from dflow import FlowSpec, Parameter, step


class BigForeachFlow(FlowSpec):
    """start -> 1,000 x work -> join -> end."""

    n = Parameter("n", default=1000, type=int)

    @step
    def start(self):
        self.items = list(range(self.n))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.out = self.input + 1
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.out for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass
