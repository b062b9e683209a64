from dflow import FlowSpec, step


class SwitchFlow(FlowSpec):
    """A run-time choice between two steps that meet again (no join needed)."""

    @step
    def start(self):
        self.mode = "fast"
        self.next({"fast": self.quick, "slow": self.thorough}, condition="mode")

    @step
    def quick(self):
        self.result = 1
        self.next(self.report)

    @step
    def thorough(self):
        self.result = 2
        self.next(self.report)

    @step
    def report(self):
        self.next(self.end)

    @step
    def end(self):
        print(self.result)
