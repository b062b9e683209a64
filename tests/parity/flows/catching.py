"""Flows for @catch, written against Metaflow's documented behaviour."""

from dflow import FlowSpec, catch, retry, step


class CatchVarFlow(FlowSpec):
    """A foreach whose odd children fail under @catch(var="failure")."""

    @step
    def start(self):
        self.numbers = [0, 1, 2, 3]
        self.next(self.work, foreach="numbers")

    @catch(var="failure", print_exception=False)
    @step
    def work(self):
        self.before = self.input * 10  # set before raising: kept
        if self.input % 2:
            raise ValueError(f"odd {self.input}")
        self.after = True
        self.next(self.join)

    @step
    def join(self, inputs):
        self.seen = sorted(
            (inp.input, inp.before, inp.failure is None, getattr(inp.failure, "type", None))
            for inp in inputs
        )
        self.messages = sorted(inp.failure.exception for inp in inputs if inp.failure)
        self.next(self.end)

    @step
    def end(self):
        pass


class CatchRetryFlow(FlowSpec):
    """@catch after @retry: the exception is caught only when the retries are spent."""

    @catch(var="oops", print_exception=False)
    @retry(times=1, minutes_between_retries=0)
    @step
    def start(self):
        from dflow import current

        self.attempts_seen = current.retry_count
        raise KeyError("gone")
        self.next(self.end)

    @step
    def end(self):
        self.kind = self.oops.type
        self.text = str(self.oops)


class NestedForeachFlow(FlowSpec):
    """foreach_stack() and inp.input in nested foreach joins."""

    @step
    def start(self):
        self.outer = ["a", "b"]
        self.next(self.middle, foreach="outer")

    @step
    def middle(self):
        self.inner = [10, 20, 30]
        self.next(self.leaf, foreach="inner")

    @step
    def leaf(self):
        self.stack = self.foreach_stack()
        self.next(self.inner_join)

    @step
    def inner_join(self, inputs):
        self.pairs = [(inp.index, inp.input, inp.stack) for inp in inputs]
        self.stack_here = self.foreach_stack()
        self.next(self.outer_join)

    @step
    def outer_join(self, inputs):
        self.outer_inputs = [inp.input for inp in inputs]
        self.stack_here = self.foreach_stack()
        self.next(self.end)

    @step
    def end(self):
        pass
