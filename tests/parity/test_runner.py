"""Runner and NBRunner, as Metaflow documents them: ``with Runner(file).run(**kw) as r``,
``r.status``, ``r.run``, ``async_run``, ``resume``; ``NBRunner(cls).nbrun()``."""

from __future__ import annotations

import asyncio
import textwrap

from dflow import FlowSpec, NBRunner, Parameter, Runner, step

FLOW = textwrap.dedent(
    """
    import os
    from dflow import FlowSpec, Parameter, step


    class RunnerFlow(FlowSpec):
        alpha = Parameter("alpha", default=1, type=int)
        fail = Parameter("fail", default=False, type=bool)

        @step
        def start(self):
            self.doubled = self.alpha * 2
            print("doubled", self.doubled)
            self.next(self.end)

        @step
        def end(self):
            if self.fail and not os.path.exists(os.environ["FIXED_MARK"]):
                raise ValueError("asked to fail")


    if __name__ == "__main__":
        RunnerFlow()
    """
)


def _runner(tmp_path, store_url):
    path = tmp_path / "runner_flow.py"
    path.write_text(FLOW)
    env = {**__import__("os").environ, "FIXED_MARK": str(tmp_path / "fixed")}
    return Runner(path, show_output=False, cwd=tmp_path, env=env, scheduler="sync", store=store_url)


def test_run_and_resume(tmp_path, store_url):
    runner = _runner(tmp_path, store_url)
    with runner.run(alpha=3, tags=["from-runner"]) as running:
        assert running.status == "successful" and running.returncode == 0, running.stderr
        run = running.run
        assert run.successful and run.data.doubled == 6
        assert "from-runner" in run.user_tags
        assert "doubled 6" in running.stdout
    failed = runner.run(alpha=4, fail=True)
    assert failed.status == "failed" and "asked to fail" in failed.stderr, failed.stderr
    assert not failed.run.successful
    (tmp_path / "fixed").write_text("")
    resumed = runner.resume(origin_run_id=failed.run.id)
    assert resumed.status == "successful", resumed.stderr
    assert resumed.run.data.doubled == 8 and resumed.run.origin_pathspec == failed.run.pathspec


def test_async_run(tmp_path, store_url):
    runner = _runner(tmp_path, store_url)

    async def main():
        running = await runner.async_run(alpha=5)
        assert running.returncode in (None, 0), running.stderr
        started = running.run.id  # known once the run has started
        await running.wait()
        return running, started

    running, started = asyncio.run(main())
    assert running.status == "successful" and running.run.id == started, running.stderr
    assert running.run.data.doubled == 10


class NotebookFlow(FlowSpec):
    """A flow class as a notebook cell defines it (no file of its own is needed)."""

    n = Parameter("n", default=2, type=int)

    @step
    def start(self):
        self.square = self.n**2
        self.next(self.end)

    @step
    def end(self):
        pass


def test_nbrunner(store_url):
    runner = NBRunner(NotebookFlow, show_output=False, scheduler="sync", store=store_url)
    run = runner.nbrun(n=7)
    assert run.successful and run.data.square == 49
    again = asyncio.run(runner.async_run(n=3))
    assert again.successful and again.run.data.square == 9
