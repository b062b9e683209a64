"""Small flows for the client-side differences (finished, tags, times, merge errors)."""

from dflow import FlowSpec, catch, step


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


class CaughtFlow(FlowSpec):
    """``middle`` and ``end`` fail under @catch: the run finishes, but is not successful."""

    @step
    def start(self):
        self.next(self.middle)

    @catch(var="failure", print_exception=False)
    @step
    def middle(self):
        raise ValueError("caught in middle")
        self.next(self.end)

    @catch(var="failure", print_exception=False)
    @step
    def end(self):
        raise ValueError("caught in end")
