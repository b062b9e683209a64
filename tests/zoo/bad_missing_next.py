from dflow import FlowSpec, step


class MissingNextFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)

    @step
    def middle(self):  # LINT: steps_end_in_next
        self.x = 1

    @step
    def end(self):  # LINT: unreachable_steps
        pass
