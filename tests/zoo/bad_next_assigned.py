from dflow import FlowSpec, step


class NextAssignedFlow(FlowSpec):
    @step
    def start(self):
        self.next = 1  # LINT: reserved_assignment
        self.next(self.end)

    @step
    def end(self):
        pass
