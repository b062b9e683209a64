"""Small flows for the client-side differences (finished, tags, times, merge errors)."""

from dflow import FlowSpec, step


class FineFlow(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next(self.end)

    @step
    def end(self):
        pass


class BrokenFlow(FlowSpec):
    @step
    def start(self):
        raise RuntimeError("no")
        self.next(self.end)

    @step
    def end(self):
        pass


class ConflictFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.v = 1
        self.next(self.join)

    @step
    def b(self):
        self.v = 2
        self.next(self.join)

    @step
    def join(self, inputs):
        from dflow.exception import UnhandledInMergeArtifactsException

        try:
            self.merge_artifacts(inputs)
        except UnhandledInMergeArtifactsException as exc:
            self.unhandled = exc.artifact_names
        self.next(self.end)

    @step
    def end(self):
        pass
