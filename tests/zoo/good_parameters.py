from dflow import FlowSpec, IncludeFile, JSONType, Parameter, step


class ParametersFlow(FlowSpec):
    """Parameters of every type, and an included file."""

    who = Parameter("who", default="world", help="who to greet")
    count = Parameter("count", default=3, help="how many times")
    alpha = Parameter("alpha", default=0.5, type=float)
    verbose = Parameter("verbose", default=False, help="print more")
    config = Parameter("config", type=JSONType, default='{"depth": 2}')
    seed = Parameter("seed", type=int, required=True, help="random seed")
    words = IncludeFile("words", default="data/words.txt", help="a word list")

    @step
    def start(self):
        self.greeting = f"hello {self.who}" * self.count
        self.next(self.end)

    @step
    def end(self):
        print(self.greeting, self.alpha, self.config, self.words)
