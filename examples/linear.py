"""A linear flow: three steps in a row, passing artifacts along.

python examples/linear.py check     # validate the graph
python examples/linear.py show      # draw it
python examples/linear.py run       # run it on Dask
"""

from dflow import FlowSpec, step


class LinearFlow(FlowSpec):
    """Load some numbers, normalise them, report the result."""

    @step
    def start(self):
        """Every flow begins with `start`."""
        self.numbers = [3.0, 1.0, 4.0, 1.0, 5.0]
        self.next(self.normalise)

    @step
    def normalise(self):
        """Artifacts set by earlier steps (self.numbers) are read back transparently."""
        total = sum(self.numbers)
        self.shares = [n / total for n in self.numbers]
        self.next(self.end)

    @step
    def end(self):
        """Every flow finishes with `end`, which calls no self.next."""
        print("shares:", [round(s, 3) for s in self.shares])


if __name__ == "__main__":
    LinearFlow()
