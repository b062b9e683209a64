"""A step that refreshes its card, then waits on a distributed.Event the test sets."""

from dflow import FlowSpec, Parameter, card, current, step


class LiveCardFlow(FlowSpec):
    """start shows 'half way' live, waits for the gate, and commits 'all done'."""

    gate = Parameter("gate", default="", type=str)

    @card(type="blank")
    @step
    def start(self):
        from distributed import Event

        from dflow.cards import Markdown

        current.card.append(Markdown("# half way"))
        current.card.refresh()
        if self.gate and not Event(self.gate).wait(timeout=60):
            raise TimeoutError("the test never opened the gate")
        current.card.clear()
        current.card.append(Markdown("# all done"))
        self.next(self.end)

    @step
    def end(self):
        pass
