"""Small flows that exercise the engine's run-time behaviours (one concern each)."""

import os
import threading
import time

from dflow import FlowSpec, Parameter, catch, current, environment, resources, retry, step, timeout


class FailFlow(FlowSpec):
    """The middle step raises: the run fails, start stays committed."""

    @step
    def start(self):
        self.kept = "committed before the failure"
        self.next(self.boom)

    @step
    def boom(self):
        print("about to fail")
        raise ValueError("user code failed on purpose")
        self.next(self.end)

    @step
    def end(self):
        pass


class RetryFlow(FlowSpec):
    """Fails on its first attempt, succeeds on the second."""

    @retry(times=2, minutes_between_retries=0)
    @step
    def start(self):
        print(f"attempt {current.retry_count}")
        if current.retry_count == 0:
            raise RuntimeError("first attempt fails")
        self.attempt_seen = current.retry_count
        self.next(self.end)

    @step
    def end(self):
        pass


class CatchFlow(FlowSpec):
    """A failing step under @catch: the exception is stored and the flow goes on."""

    @step
    def start(self):
        self.before = 1
        self.next(self.risky)

    @catch(var="failure")
    @step
    def risky(self):
        raise KeyError("missing thing")
        self.next(self.end)

    @step
    def end(self):
        self.saw = repr(self.failure)


class TimeoutFlow(FlowSpec):
    """A step that sleeps past its @timeout."""

    seconds = Parameter("seconds", default=30.0)

    @timeout(seconds=1)
    @step
    def start(self):
        deadline = time.time() + self.seconds
        while time.time() < deadline:  # a Python loop: the timeout interrupts it
            time.sleep(0.01)
        self.next(self.end)

    @step
    def end(self):
        pass


class StubbornTimeoutFlow(FlowSpec):
    """A timed-out step that swallows every Exception: it must still stop."""

    @timeout(seconds=1)
    @step
    def start(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                time.sleep(0.01)
            except Exception:  # noqa: BLE001 - on purpose: the interruption is not one
                pass
        self.next(self.end)

    @step
    def end(self):
        pass


class ResourcesFlow(FlowSpec):
    """Asks for more GPUs than a laptop has."""

    @resources(gpu=4)
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


class EnvironmentFlow(FlowSpec):
    """@environment sets a variable for one step only."""

    @environment(vars={"DFLOW_TEST_MODE": "on"})
    @step
    def start(self):
        self.inside = os.environ.get("DFLOW_TEST_MODE")
        self.inside_getenv = os.getenv("DFLOW_TEST_MODE")
        self.next(self.end)

    @step
    def end(self):
        self.after = os.environ.get("DFLOW_TEST_MODE")


class MergeFlow(FlowSpec):
    """Static branches, inputs.<step>, and merge_artifacts with a conflict excluded."""

    @step
    def start(self):
        self.shared = "same everywhere"
        self.next(self.left, self.right)

    @step
    def left(self):
        self.side = "L"
        self.left_only = 1
        self.next(self.join)

    @step
    def right(self):
        self.side = "R"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.sides = sorted(i.side for i in inputs)
        self.left_side = inputs.left.side
        self.merge_artifacts(inputs, exclude=["side"])
        self.shared_seen_in_join = self.shared  # adopted values are readable at once
        self.next(self.end)

    @step
    def end(self):
        pass


class ConflictFlow(FlowSpec):
    """merge_artifacts on inputs that disagree: the join fails with a clear error."""

    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.value = 1
        self.next(self.join)

    @step
    def b(self):
        self.value = 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.merge_artifacts(inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


class WideForeachFlow(FlowSpec):
    """A foreach whose children print their index (logs, batching, concurrency)."""

    n = Parameter("n", default=20)
    lines = Parameter("lines", default=5)

    @step
    def start(self):
        self.items = list(range(self.n))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        for k in range(self.lines):
            print(f"item {self.input} line {k}")
            time.sleep(0.001)
        self.square = self.input * self.input
        self.thread = threading.get_ident()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.squares = [i.square for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


class WhereFlow(FlowSpec):
    """Records the Dask worker each task ran on."""

    @step
    def start(self):
        self.items = [0, 1, 2, 3]
        self.next(self.work, foreach="items")

    @step
    def work(self):
        from distributed import get_worker

        self.worker = get_worker().address
        self.next(self.join)

    @step
    def join(self, inputs):
        self.workers = sorted({i.worker for i in inputs})
        self.next(self.end)

    @step
    def end(self):
        pass


class ArrayFlow(FlowSpec):
    """A numpy array passed between steps (stored as zarr)."""

    size = Parameter("size", default=300_000)

    @step
    def start(self):
        import numpy as np

        self.data = np.arange(self.size, dtype="float64")
        self.next(self.total)

    @step
    def total(self):
        self.sum = float(self.data.sum())
        self.next(self.end)

    @step
    def end(self):
        pass


class ReleaseFlow(FlowSpec):
    """start sets an array stored as zarr and keeps a weak reference to it (and to its own
    flow object); the next step records whether they are still alive (run it with the
    cyclic garbage collector off: only reference counting may free them)."""

    @step
    def start(self):
        import builtins
        import weakref

        import numpy as np

        self.data = np.ones(2**18)  # 2 MiB: zarr
        builtins._dflow_release_probe = (weakref.ref(self.data), weakref.ref(self))
        self.next(self.check)

    @step
    def check(self):
        import builtins

        array, flow = builtins._dflow_release_probe
        self.array_alive, self.flow_alive = array() is not None, flow() is not None
        self.next(self.end)

    @step
    def end(self):
        pass


class FlakyForeachFlow(FlowSpec):
    """One foreach child fails while a marker file exists; resume finishes the run."""

    marker = Parameter("marker", default="")

    @step
    def start(self):
        self.items = [1, 2, 3, 4]
        self.next(self.work, foreach="items")

    @step
    def work(self):
        if self.input == 3 and os.path.exists(self.marker):
            raise RuntimeError("child 3 fails while the marker exists")
        self.value = self.input * 100
        print(f"computed {self.value}")
        self.next(self.join)

    @step
    def join(self, inputs):
        self.values = [i.value for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.values)


class SwitchInBranchFlow(FlowSpec):
    """A switch inside one branch of a static split: the join gets one input per branch."""

    @step
    def start(self):
        self.mode = "x"
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next({"x": self.x, "y": self.y}, condition="mode")

    @step
    def x(self):
        self.v = "x"
        self.next(self.join)

    @step
    def y(self):
        self.v = "y"
        self.next(self.join)

    @step
    def b(self):
        self.v = "b"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.vs = sorted(i.v for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(self.vs)
