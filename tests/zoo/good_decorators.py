from dflow import FlowSpec, catch, environment, resources, retry, step, timeout


class DecoratorsFlow(FlowSpec):
    """Every step decorator, above and below @step, bare and with options."""

    @retry
    @step
    def start(self):
        self.next(self.work)

    @resources(memory=2_000, cpu=2)
    @retry(times=2, minutes_between_retries=0)
    @step
    def work(self):
        self.next(self.tolerant)

    @step
    @catch(var="error")
    @timeout(seconds=30)
    @environment(vars={"MODE": "test"})
    def tolerant(self):
        self.next(self.end)

    @step
    def end(self):
        pass
