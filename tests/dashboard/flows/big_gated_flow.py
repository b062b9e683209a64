"""A 1,000-task foreach in progress: a few tasks wait on the test's gate, some are retried."""

from dflow import FlowSpec, Parameter, current, retry, step


class BigGatedFlow(FlowSpec):
    """start -> 1,000 x work (every 250th waits for the gate; every 100th fails once) -> join
    -> end."""

    gate = Parameter("gate", default="", type=str)
    n = Parameter("n", default=1000, type=int)

    @step
    def start(self):
        self.items = list(range(self.n))
        self.next(self.work, foreach="items")

    @retry(times=1, minutes_between_retries=0)
    @step
    def work(self):
        if self.input % 100 == 7 and current.retry_count == 0:
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
