from dflow import FlowSpec, step


class NoEndFlow(FlowSpec):  # LINT: start_and_end
    @step
    def start(self):
        self.next(self.finish)

    @step
    def finish(self):  # LINT: steps_end_in_next
        pass
