"""A foreach of 1,000 tasks: a report of it must still render quickly, and the dashboard
follows it in progress.

Shared by the report and dashboard tests. By default every task is trivial; ``gate=``
(a ``distributed.Event`` name) makes every 250th task wait for it, and ``flaky=True``
makes every 100th fail once before its retry succeeds.
"""

from dflow import FlowSpec, Parameter, current, retry, step


class BigForeachFlow(FlowSpec):
    """start -> 1,000 x work -> join -> end."""

    n = Parameter("n", default=1000, type=int)
    gate = Parameter("gate", default="", type=str)
    flaky = Parameter("flaky", default=False, type=bool)

    @step
    def start(self):
        self.items = list(range(self.n))
        self.next(self.work, foreach="items")

    @retry(times=1, minutes_between_retries=0)
    @step
    def work(self):
        if self.flaky and self.input % 100 == 7 and current.retry_count == 0:
            raise RuntimeError(f"item {self.input}: flaky on purpose")
        if self.gate and self.input % 250 == 249:
            from distributed import Event

            if not Event(self.gate).wait(timeout=120):
                raise TimeoutError("the test never opened the gate")
        self.out = self.input + 1
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.out for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass
