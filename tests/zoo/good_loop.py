from dflow import FlowSpec, Parameter, step


class WhileFlow(FlowSpec):
    """Metaflow's recursive step: ``loop`` runs again while ``again`` is True."""

    limit = Parameter("limit", default=5, type=int)

    @step
    def start(self):
        self.next(self.loop)

    @step
    def loop(self):
        self.x = getattr(self, "x", 0) + 1
        self.again = self.x < self.limit
        self.next({True: self.loop, False: self.end}, condition="again")

    @step
    def end(self):
        print("the final x is", self.x)
