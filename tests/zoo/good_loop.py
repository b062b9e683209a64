from dflow import FlowSpec, Parameter, step


class WhileFlow(FlowSpec):
    """Metaflow's recursive step: ``loop`` runs again while ``again`` is True, ``limit``
    passes in all; each pass appends its ``x`` to the ``seen`` it inherited."""

    limit = Parameter("limit", default=5, type=int)

    @step
    def start(self):
        self.seen = []
        self.next(self.loop)

    @step
    def loop(self):
        self.x = getattr(self, "x", 0) + 1
        self.seen = self.seen + [self.x]
        self.again = self.x < self.limit
        self.next({True: self.loop, False: self.end}, condition="again")

    @step
    def end(self):
        self.final = self.x
        print("the final x is", self.x)
