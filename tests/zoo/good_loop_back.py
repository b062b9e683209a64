from dflow import FlowSpec, step


class LoopBackFlow(FlowSpec):
    """In each foreach child, ``grow`` and ``check`` repeat until the value is large."""

    @step
    def start(self):
        self.seeds = [1, 5, 20]
        self.next(self.grow, foreach="seeds")

    @step
    def grow(self):
        self.value = getattr(self, "value", self.input) * 2
        self.rounds = getattr(self, "rounds", 0) + 1
        self.next(self.check)

    @step
    def check(self):
        self.small = self.value < 20
        self.next({True: self.grow, False: self.join}, condition="small")

    @step
    def join(self, inputs):
        self.values = [i.value for i in inputs]
        self.rounds = [i.rounds for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print(self.values, self.rounds)
