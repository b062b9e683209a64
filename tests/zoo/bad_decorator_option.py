from dflow import FlowSpec, resources, retry, step


class DecoratorOptionFlow(FlowSpec):
    @retry(tims=2)  # LINT: decorator_options
    @step
    def start(self):
        self.next(self.end)

    @resources(memory=-1)  # LINT: decorator_options
    @step
    def end(self):
        pass
