from dflow import FlowSpec, step


class BadLoopFlow(FlowSpec):
    """Two switches that go back where a loop cannot start."""

    @step
    def start(self):
        self.items = [1, 2]
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.again = False
        self.next({True: self.start, False: self.join}, condition="again")  # LINT: loop_shapes

    @step
    def join(self, inputs):
        self.n = 0
        self.next(self.count)

    @step
    def count(self):
        self.n += 1
        self.more = self.n < 2
        self.next({True: self.join, False: self.end}, condition="more")  # LINT: loop_shapes

    @step
    def end(self):
        pass
