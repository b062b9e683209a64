from dflow import FlowSpec, Parameter, step


class TwoProblemsFlow(FlowSpec):
    size = Parameter("size", default="big", type=int)  # LINT: parameter_defaults

    @step
    def start(self):
        self.next(self.train, foreach=self.items)  # LINT: next_form

    @step
    def train(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
