"""Linear flows whose middle steps each set three small artifacts (S3 request counting)."""

from dflow import FlowSpec, step


class ThreeStepFlow(FlowSpec):
    """start -> a -> end."""

    @step
    def start(self):
        self.next(self.a)

    @step
    def a(self):
        self.x, self.y, self.z = 1, "two", [3.0]
        self.next(self.end)

    @step
    def end(self):
        pass


class FiveStepFlow(FlowSpec):
    """start -> a -> b -> c -> end: two more tasks like ``a``."""

    @step
    def start(self):
        self.next(self.a)

    @step
    def a(self):
        self.x, self.y, self.z = 1, "two", [3.0]
        self.next(self.b)

    @step
    def b(self):
        self.x, self.y, self.z = 4, "five", [6.0]
        self.next(self.c)

    @step
    def c(self):
        self.x, self.y, self.z = 7, "eight", [9.0]
        self.next(self.end)

    @step
    def end(self):
        pass
