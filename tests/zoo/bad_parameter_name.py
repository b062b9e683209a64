from dflow import FlowSpec, Parameter, step


class ParameterNameFlow(FlowSpec):
    index = Parameter("index", default=1)  # LINT: parameter_names
    train = Parameter("train", default="x")  # LINT: parameter_names
    first = Parameter("alpha", default=0.1)
    second = Parameter("alpha", default=0.2)  # LINT: parameter_names

    @step
    def start(self):
        self.next(self.train)

    @step
    def train(self):  # noqa: F811
        self.next(self.end)

    @step
    def end(self):
        pass
