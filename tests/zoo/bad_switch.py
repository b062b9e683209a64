from dflow import FlowSpec, step


class BadSwitchFlow(FlowSpec):
    @step
    def start(self):
        self.mode = "a"
        self.next({"a": self.a, "b": "b"}, condition=self.mode)  # LINT: next_form, next_form

    @step
    def a(self):
        self.next(self.end)

    @step
    def b(self):  # LINT: unreachable_steps
        self.next(self.end)

    @step
    def end(self):
        pass
