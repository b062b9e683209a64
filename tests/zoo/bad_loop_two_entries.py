from dflow import FlowSpec, step


class TwoEntriesFlow(FlowSpec):
    """A cycle through switches that can be entered at either of its steps."""

    @step
    def start(self):
        self.first = "a"
        self.next({"a": self.a, "b": self.b}, condition="first")

    @step
    def a(self):
        self.next(self.b)

    @step
    def b(self):
        self.again = False
        self.next({True: self.a, False: self.end}, condition="again")  # LINT: no_cycles

    @step
    def end(self):
        pass
