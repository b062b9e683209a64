"""A foreach: one task per element of a list, fanned out on Dask, then joined.

python examples/foreach.py run
"""

from dflow import FlowSpec, retry, step


class ForeachFlow(FlowSpec):
    """Score several learning rates in parallel and keep the best one."""

    @step
    def start(self):
        self.rates = [0.001, 0.01, 0.1, 1.0]
        # foreach= takes the *name* of the attribute, as a string.
        self.next(self.score, foreach="rates")

    @retry(times=2, minutes_between_retries=0)
    @step
    def score(self):
        """Runs once per rate: self.input is this task's rate, self.index its position."""
        self.rate = self.input
        self.loss = (self.rate - 0.1) ** 2
        self.next(self.pick)

    @step
    def pick(self, inputs):
        """The join closing the foreach sees every task's artifacts."""
        best = min(inputs, key=lambda task: task.loss)
        self.best_rate = best.rate
        self.next(self.end)

    @step
    def end(self):
        print("best learning rate:", self.best_rate)


if __name__ == "__main__":
    ForeachFlow()
