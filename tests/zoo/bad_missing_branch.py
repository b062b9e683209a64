from dflow import FlowSpec, step


class MissingBranchFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.b, self.c)

    @step
    def a(self):
        self.next(self.join)

    @step
    def b(self):
        self.next(self.join)

    @step
    def c(self):
        self.next(self.end)

    @step
    def join(self, inputs):  # LINT: joins_match_splits
        self.next(self.end)

    @step
    def end(self):  # LINT: inputs_only_in_joins
        pass
