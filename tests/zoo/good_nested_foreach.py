from dflow import FlowSpec, step


class NestedForeachFlow(FlowSpec):
    """A foreach inside a foreach, each closed by its own join."""

    @step
    def start(self):
        self.rows = ["a", "b"]
        self.next(self.row, foreach="rows")

    @step
    def row(self):
        self.cols = [1, 2, 3]
        self.next(self.cell, foreach="cols")

    @step
    def cell(self):
        self.value = f"{self.input}"
        self.next(self.join_cols)

    @step
    def join_cols(self, inputs):
        self.values = [i.value for i in inputs]
        self.next(self.join_rows)

    @step
    def join_rows(self, inputs):
        self.table = [i.values for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print(self.table)
