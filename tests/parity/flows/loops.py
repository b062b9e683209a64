"""Loops: a switch that goes back to its own step (Metaflow 2.18's recursion) or to an
earlier step, in the shapes Metaflow's documentation shows and a few more. The plain
recursive step (Metaflow's WhileFlow) is the zoo's, tests/zoo/good_loop.py."""

from pathlib import Path

from dflow import FlowSpec, Parameter, step


class FlakyLoopFlow(FlowSpec):
    """Pass ``fail_at`` of ``loop`` raises while the file ``trigger`` exists."""

    trigger = Parameter("trigger", default="")
    fail_at = Parameter("fail_at", default=3, type=int)

    @step
    def start(self):
        self.next(self.loop)

    @step
    def loop(self):
        self.x = getattr(self, "x", 0) + 1
        if self.x == self.fail_at and self.trigger and Path(self.trigger).exists():
            raise ValueError(f"pass {self.x} failed")
        self.again = self.x < 5
        self.next({True: self.loop, False: self.end}, condition="again")

    @step
    def end(self):
        self.final = self.x


class BackToEarlierFlow(FlowSpec):
    """``fetch -> train -> decide`` repeats until ``decide`` is satisfied: a switch back
    to an earlier step."""

    @step
    def start(self):
        self.history = []
        self.next(self.fetch)

    @step
    def fetch(self):
        self.batch = len(self.history) + 1
        self.next(self.train)

    @step
    def train(self):
        self.history = self.history + [self.batch * 10]
        self.next(self.decide)

    @step
    def decide(self):
        self.more = sum(self.history) < 60
        self.next({True: self.fetch, False: self.end}, condition="more")

    @step
    def end(self):
        self.total = sum(self.history)


class ForeachInLoopFlow(FlowSpec):
    """Each pass of the loop fans out over its items and joins them again."""

    @step
    def start(self):
        self.round = 0
        self.next(self.plan)

    @step
    def plan(self):
        self.round += 1
        self.items = list(range(self.round + 1))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.value = self.input * 10 + self.round
        self.next(self.gather)

    @step
    def gather(self, inputs):
        self.values = [i.value for i in inputs]
        self.merge_artifacts(inputs, include=["round"])
        self.done = self.round >= 3
        self.next({False: self.plan, True: self.end}, condition="done")

    @step
    def end(self):
        pass


class LoopInBranchFlow(FlowSpec):
    """A step that repeats itself in one branch of a static split."""

    @step
    def start(self):
        self.next(self.spin, self.other)

    @step
    def spin(self):
        self.n = getattr(self, "n", 0) + 1
        self.again = self.n < 3
        self.next({True: self.spin, False: self.join}, condition="again")

    @step
    def other(self):
        self.m = 7
        self.next(self.join)

    @step
    def join(self, inputs):
        self.n = inputs.spin.n
        self.m = inputs.other.m
        self.next(self.end)

    @step
    def end(self):
        pass
