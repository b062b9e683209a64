"""A flow for the cluster tests: records where each task ran."""

import os
import socket

from dflow import FlowSpec, Parameter, step


class RemoteFlow(FlowSpec):
    """A foreach whose children note their Dask worker and process id."""

    width = Parameter("width", default=4)

    @step
    def start(self):
        self.start_pid = os.getpid()
        self.items = list(range(self.width))
        self.next(self.where, foreach="items")

    @step
    def where(self):
        from distributed import get_worker

        self.worker = get_worker().address
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.square = self.input**2
        print(f"item {self.input} on {self.worker}")
        self.next(self.join)

    @step
    def join(self, inputs):
        self.workers = sorted({i.worker for i in inputs})
        self.pids = sorted({i.pid for i in inputs})
        self.squares = [i.square for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    RemoteFlow()
