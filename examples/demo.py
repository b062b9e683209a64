"""The dflow demo: fit a tiny model for several settings in parallel, keep the best.

    python examples/demo.py run                 # on a local Dask cluster, store in ./.dflow
    python examples/demo.py run --noise 0.5     # parameters become options
    python examples/demo.py run --scheduler sync   # every task in this process (pdb works)

It shows the parts of dflow in one screen: a Parameter, a large numpy array artifact
(stored as chunked zarr, read lazily), a foreach fan-out with one Dask task per setting,
a join that compares the results, and artifacts you can read back afterwards:

    from dflow import Flow
    Flow("DemoFlow").latest_successful_run.data.best
"""

import numpy as np

from dflow import FlowSpec, Parameter, current, step


class DemoFlow(FlowSpec):
    """Fit y = a*x + noise by least squares for several regularisation strengths."""

    noise = Parameter("noise", default=0.1, type=float, help="noise level of the data")
    size = Parameter("size", default=2_000_000, type=int, help="number of samples")

    @step
    def start(self):
        """Make the data set: two float64 arrays, stored once as zarr chunks."""
        rng = np.random.default_rng(42)
        self.x = rng.standard_normal(self.size)
        self.y = 3.0 * self.x + self.noise * rng.standard_normal(self.size)
        self.strengths = [0.0, 0.1, 1.0, 10.0, 100.0]
        print(f"run {current.run_id}: {self.size:,} samples, noise {self.noise}")
        self.next(self.fit, foreach="strengths")

    @step
    def fit(self):
        """One Dask task per strength: a ridge fit of the slope."""
        lam = self.input
        slope = float(self.x @ self.y / (self.x @ self.x + lam))
        self.fit_result = {"strength": lam, "slope": slope, "error": abs(slope - 3.0)}
        print(f"strength {lam:>6}: slope {slope:.5f}")
        self.next(self.join)

    @step
    def join(self, inputs):
        """Keep the best fit."""
        results = [i.fit_result for i in inputs]
        self.best = min(results, key=lambda r: r["error"])
        self.results = results
        self.next(self.end)

    @step
    def end(self):
        """Report."""
        print(f"best strength {self.best['strength']} -> slope {self.best['slope']:.5f}")


if __name__ == "__main__":
    DemoFlow()
