import a_module_that_does_not_exist  # noqa: F401

from dflow import FlowSpec, step


class BrokenImportFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
