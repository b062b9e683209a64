from dflow import FlowSpec, step


class MixedJoinFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.a1, self.a2)

    @step
    def a1(self):
        self.next(self.join)

    @step
    def a2(self):
        self.next(self.join)

    @step
    def b(self):
        self.next(self.join)

    @step
    def join(self, inputs):  # LINT: joins_match_splits
        self.next(self.end)

    @step
    def end(self):
        pass
