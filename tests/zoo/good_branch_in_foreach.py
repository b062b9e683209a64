from dflow import FlowSpec, step


class BranchInForeachFlow(FlowSpec):
    """Each foreach task splits into two branches, joined inside the foreach."""

    @step
    def start(self):
        self.seeds = [1, 2]
        self.next(self.fan, foreach="seeds")

    @step
    def fan(self):
        self.seed = self.input
        self.next(self.left, self.right)

    @step
    def left(self):
        self.v = self.seed * 2
        self.next(self.inner_join)

    @step
    def right(self):
        self.v = self.seed * 3
        self.next(self.inner_join)

    @step
    def inner_join(self, inputs):
        self.v = sum(i.v for i in inputs)
        self.next(self.outer_join)

    @step
    def outer_join(self, inputs):
        self.vs = [i.v for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print(self.vs)
