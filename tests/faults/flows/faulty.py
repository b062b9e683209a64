"""Flows of the fault-injection suite."""

import pathlib

from dflow import FlowSpec, Parameter, step


class Planted:
    """A value whose unpickling creates the file at ``path`` (stands for any code)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.path),))


class PlantedFlow(FlowSpec):
    """Stores a planted pickle beside plain values."""

    marker = Parameter("marker", default="/nonexistent/planted")

    @step
    def start(self):
        self.evil = Planted(self.marker)
        self.plain = {"a": 1}
        self.next(self.end)

    @step
    def end(self):
        print("done")


class DamageFlow(FlowSpec):
    """Two branches, one with plain data (a blob) and one with a zarr array, then a join."""

    @step
    def start(self):
        self.n = 1000
        self.next(self.blob, self.array)

    @step
    def blob(self):
        self.value = list(range(self.n))
        self.next(self.join)

    @step
    def array(self):
        import numpy as np

        self.arr = np.arange(300_000, dtype="float64")  # 2.4 MB: stored as zarr
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(inputs.blob.value) + float(inputs.array.arr.sum())
        self.next(self.end)

    @step
    def end(self):
        print("total", self.total)
