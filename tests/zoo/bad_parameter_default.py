from dflow import FlowSpec, Parameter, step


class ParameterDefaultFlow(FlowSpec):
    n = Parameter("n", default="abc", type=int)  # LINT: parameter_defaults
    ratio = Parameter("ratio", default=0.5, type=list)  # LINT: parameter_defaults

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
