"""Flows for Metaflow's smaller names: separator, callable defaults, current.username."""

from dflow import FlowSpec, Parameter, current, step


class SmallNamesFlow(FlowSpec):
    names = Parameter("names", default="a,b", separator=",")
    who = Parameter(
        "who", default=lambda ctx: f"{ctx.user_name}|{ctx.flow_name}|{ctx.parameter_name}"
    )
    size = Parameter("size", default=lambda ctx: 3, type=int)

    @step
    def start(self):
        self.username = current.username
        self.items = list(range(self.size))
        self.next(self.each, foreach="items")

    @step
    def each(self):
        self.stack = self.foreach_stack()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.stacks = sorted(inp.stack for inp in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass
