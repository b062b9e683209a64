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


class UnpicklableFlow(FlowSpec):
    """Sets an artifact that cannot be pickled (which one: the ``what`` parameter)."""

    what = Parameter("what", default="lock")

    @step
    def start(self):
        import socket
        import threading

        if self.what == "lock":
            self.thing = threading.Lock()
        elif self.what == "generator":
            self.thing = (i for i in range(3))
        else:
            self.thing = socket.socket()
        self.next(self.end)

    @step
    def end(self):
        pass


class TwoArtifactsFlow(FlowSpec):
    """A blob artifact beside another, so one can be damaged and the other still shown."""

    @step
    def start(self):
        self.first = {"a": 1}
        self.second = [1, 2, 3]
        self.next(self.end)

    @step
    def end(self):
        pass
