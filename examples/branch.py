"""A static split: two models trained side by side, then compared in a join.

python examples/branch.py show --format mermaid
"""

from dflow import FlowSpec, step


class BranchFlow(FlowSpec):
    """Fit two toy models on the same data in parallel branches and keep the better."""

    @step
    def start(self):
        self.xs = list(range(10))
        self.ys = [2 * x + 1 for x in self.xs]
        # Naming two steps starts two branches; they run at the same time on Dask.
        self.next(self.mean_model, self.line_model)

    @step
    def mean_model(self):
        mean = sum(self.ys) / len(self.ys)
        self.error = sum((y - mean) ** 2 for y in self.ys)
        self.model = "mean"
        self.next(self.choose)

    @step
    def line_model(self):
        self.error = sum((y - (2 * x + 1)) ** 2 for x, y in zip(self.xs, self.ys, strict=True))
        self.model = "line"
        self.next(self.choose)

    @step
    def choose(self, inputs):
        """A join takes `inputs`: one entry per branch, each with that branch's artifacts."""
        best = min(inputs, key=lambda branch: branch.error)
        self.best_model = best.model
        # Artifacts every branch agrees on (xs, ys) are carried over into the join.
        self.merge_artifacts(inputs, exclude=["error", "model"])
        self.next(self.end)

    @step
    def end(self):
        print("best model:", self.best_model)


if __name__ == "__main__":
    BranchFlow()
