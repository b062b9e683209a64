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
