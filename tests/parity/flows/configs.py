"""A flow with configs from a file and from a value (Metaflow 2.13's Config)."""

from dflow import Config, FlowSpec, Parameter, config_expr, resources, step


class ConfigFlow(FlowSpec):
    train = Config("train", default="train_config.json")
    extra = Config("extra", default_value={"note": "inline"})
    alpha = Parameter("alpha", default=config_expr("train.alpha"), type=float)

    @resources(cpu=train.cpu, memory=1000)
    @step
    def start(self):
        self.seen = (self.train.model.depth, self.extra.note, self.alpha)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ConfigFlow()
