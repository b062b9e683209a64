from dflow import FlowSpec, step


class FirstFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


class SecondFlow(FirstFlow):
    pass
