"""A flow whose step warns: the warning's file:line must name the user's own file."""

import warnings

from dflow import FlowSpec, step


class WarnFlow(FlowSpec):
    """start (warns) -> end."""

    @step
    def start(self):
        warnings.warn("look at this line", UserWarning, stacklevel=1)
        self.next(self.end)

    @step
    def end(self):
        pass
