"""``Runner`` and ``NBRunner``: start a flow from Python and get its run back (Metaflow's
Runner API).

``Runner("flow.py")`` runs ``python flow.py run ...`` in a new process, as Metaflow does,
so the flow runs exactly as on the command line; keyword arguments of :meth:`Runner.run`
are the flow's parameters and the run options (``tags``, ``scheduler``, ``store``,
``max_workers``, ``max_num_splits``, ``with_decorators``). ``NBRunner(FlowClass)`` runs a
flow class defined in a notebook cell in this process (dflow runs those directly)::

    with Runner("train.py").run(alpha=0.1) as running:
        print(running.status, running.run.data.best)

    run = NBRunner(TrainFlow).nbrun(alpha=0.1)   # a dflow.client.Run
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from dflow.errors import DflowError

#: keyword arguments of run()/resume() that are run options, not flow parameters
_OPTIONS = {
    "tags": "--tag",
    "tag": "--tag",
    "scheduler": "--scheduler",
    "store": "--store",
    "max_workers": "--max-workers",
    "max_num_splits": "--max-num-splits",
    "with_decorators": "--with",
    "decospecs": "--with",
}


def _cli_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value)
    return str(value)


def command_args(kwargs: dict[str, Any]) -> list[str]:
    """``run``'s keyword arguments as command-line arguments of ``python flow.py run``."""
    args: list[str] = []
    for key, value in kwargs.items():
        if value is None:
            continue
        option = _OPTIONS.get(key)
        if option is not None:
            values = value if isinstance(value, (list, tuple)) else [value]
            for item in values:
                args += [option, str(item)]
        else:
            args += [f"--{key.replace('_', '-')}", _cli_value(value)]
    return args


class ExecutingRun:
    """A run a :class:`Runner` started: ``.run``, ``.status``, ``.returncode``,
    ``.stdout``, ``.stderr``, ``wait()``; a context manager that stops the process on
    exit if it is still running."""

    def __init__(self, runner: Runner, process: Any, attribute_file: Path, logs: Path) -> None:
        self.runner = runner
        self.process = process
        self._attribute_file = attribute_file
        self._logs = logs

    def __enter__(self) -> ExecutingRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.runner.cleanup(self)

    async def __aenter__(self) -> ExecutingRun:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.runner.cleanup(self)

    @property
    def returncode(self) -> int | None:
        """The process's exit status (None while it runs)."""
        return self.process.returncode if self.process else None

    @property
    def status(self) -> str:
        """``"running"``, ``"successful"`` or ``"failed"`` (Metaflow's words)."""
        code = self.returncode
        if code is None:
            return "running"
        return "successful" if code == 0 else "failed"

    def _attributes(self) -> dict | None:
        try:
            return json.loads(self._attribute_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    @property
    def run(self) -> Any:
        """The run in the client API (``dflow.client.Run``), once it has started."""
        doc = self._attributes()
        if doc is None:
            tail = self.stderr.strip().splitlines()[-5:]
            raise DflowError(
                "the run has not started (or the flow failed before it could)"
                + (": " + " | ".join(tail) if tail and self.returncode is not None else ""),
                hint="see .stderr for why; wait() for the process to end",
            )
        from dflow.client import ClientContext, Run

        context = ClientContext(doc["store_url"], namespace=None, trusted=True)
        return Run(f"{doc['flow_name']}/{doc['run_id']}", context)

    def _read(self, stream: str) -> str:
        path = self._logs / stream
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    @property
    def stdout(self) -> str:
        """Everything the run printed to stdout so far."""
        return self._read("stdout")

    @property
    def stderr(self) -> str:
        """Everything the run printed to stderr so far."""
        return self._read("stderr")

    def wait(self, timeout: float | None = None) -> ExecutingRun:
        """Wait for the process to end (``timeout`` seconds at most; then it is stopped)."""
        if isinstance(self.process, asyncio.subprocess.Process):
            raise DflowError("an async run is awaited: use `await running.wait()`")
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        return self

    def kill(self) -> None:
        """Stop the run's process (its run shows as stalled; ``resume`` finishes it)."""
        if self.process and self.process.returncode is None:
            self.process.kill()
            if not isinstance(self.process, asyncio.subprocess.Process):
                self.process.wait()


class AsyncExecutingRun(ExecutingRun):
    """What :meth:`Runner.async_run` returns: ``await running.wait()``."""

    async def wait(self, timeout: float | None = None) -> AsyncExecutingRun:  # type: ignore[override]
        """Wait for the process to end (``timeout`` seconds at most; then it is stopped)."""
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.kill()
            await self.process.wait()
        return self


class Runner:
    """Run a flow file from Python: ``Runner("flow.py", show_output=True, env=None,
    cwd=None)``; :meth:`run`, :meth:`resume` (blocking) and :meth:`async_run`,
    :meth:`async_resume` (``await``-able). Options given here apply to every run."""

    def __init__(
        self,
        flow_file: str | os.PathLike,
        show_output: bool = True,
        env: dict[str, str] | None = None,
        cwd: str | os.PathLike | None = None,
        **options: Any,
    ) -> None:
        self.flow_file = Path(flow_file).resolve()
        if not self.flow_file.is_file():
            raise DflowError(
                f"Runner: there is no flow file at {self.flow_file}",
                hint="pass the path of a .py file that defines a FlowSpec",
            )
        self.show_output = show_output
        self.env = dict(os.environ if env is None else env)
        self.cwd = str(cwd) if cwd is not None else os.getcwd()
        self.options = options
        self._folders: list[tempfile.TemporaryDirectory] = []

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        for folder in self._folders:
            folder.cleanup()
        self._folders.clear()

    def _prepare(self, command: list[str], kwargs: dict) -> tuple[list[str], Path, Path]:
        folder = tempfile.TemporaryDirectory(prefix="dflow-runner-")
        self._folders.append(folder)
        logs = Path(folder.name)
        attributes = logs / "attributes.json"
        args = [sys.executable, str(self.flow_file), *command]
        args += command_args({**self.options, **kwargs})
        args += ["--runner-attribute-file", str(attributes)]
        return args, attributes, logs

    def _start(self, command: list[str], kwargs: dict) -> ExecutingRun:
        args, attributes, logs = self._prepare(command, kwargs)
        if self.show_output:
            process = _tee(args, self.cwd, self.env, logs)
        else:
            with (logs / "stdout").open("wb") as out, (logs / "stderr").open("wb") as err:
                process = subprocess.Popen(args, cwd=self.cwd, env=self.env, stdout=out, stderr=err)
        return ExecutingRun(self, process, attributes, logs)

    def run(self, **kwargs: Any) -> ExecutingRun:
        """Run the flow and wait for it; parameters and run options as keywords."""
        running = self._start(["run"], kwargs)
        running.wait()
        return running

    def resume(
        self, step: str | None = None, origin_run_id: str | None = None, **kwargs
    ) -> ExecutingRun:
        """Resume a run (default: the latest) and wait for it; ``step`` reruns from there."""
        command = ["resume", *([step] if step else [])]
        if origin_run_id:
            command += ["--origin-run-id", str(origin_run_id)]
        running = self._start(command, kwargs)
        running.wait()
        return running

    async def _async_start(self, command: list[str], kwargs: dict) -> AsyncExecutingRun:
        args, attributes, logs = self._prepare(command, kwargs)
        with (logs / "stdout").open("wb") as out, (logs / "stderr").open("wb") as err:
            process = await asyncio.create_subprocess_exec(
                *args, cwd=self.cwd, env=self.env, stdout=out, stderr=err
            )
        running = AsyncExecutingRun(self, process, attributes, logs)
        while process.returncode is None and not attributes.exists():
            try:  # the run is usable (``.run``) once it has started
                await asyncio.wait_for(asyncio.shield(process.wait()), 0.1)
            except TimeoutError:
                continue
        return running

    async def async_run(self, **kwargs: Any) -> AsyncExecutingRun:
        """Start the flow and return once the run has started: ``await running.wait()``."""
        return await self._async_start(["run"], kwargs)

    async def async_resume(
        self, step: str | None = None, origin_run_id: str | None = None, **kwargs
    ) -> AsyncExecutingRun:
        """Start resuming a run; return once it has started."""
        command = ["resume", *([step] if step else [])]
        if origin_run_id:
            command += ["--origin-run-id", str(origin_run_id)]
        return await self._async_start(command, kwargs)

    def cleanup(self, running: ExecutingRun) -> None:
        """Stop ``running`` if it still runs (a ``with`` block's end)."""
        if running.returncode is None:
            running.kill()


class _TeeProcess:
    """A Popen whose output is shown here as it comes and kept in ``logs``."""

    def __init__(self, args: list[str], cwd: str, env: dict, logs: Path) -> None:
        self._popen = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        streams = (
            (self._popen.stdout, logs / "stdout", sys.stdout),
            (self._popen.stderr, logs / "stderr", sys.stderr),
        )
        self._threads = [threading.Thread(target=_pump, args=spec) for spec in streams]
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    @property
    def returncode(self) -> int | None:
        return self._popen.poll()

    def wait(self, timeout: float | None = None) -> int:
        code = self._popen.wait(timeout=timeout)
        for thread in self._threads:
            thread.join()
        return code

    def kill(self) -> None:
        self._popen.kill()


def _pump(source, path: Path, shown) -> None:
    with path.open("wb") as sink:
        for chunk in iter(source.readline, b""):
            sink.write(chunk)
            sink.flush()
            shown.write(chunk.decode("utf-8", "replace"))
            shown.flush()


def _tee(args: list[str], cwd: str, env: dict, logs: Path) -> _TeeProcess:
    return _TeeProcess(args, cwd, env, logs)


class NBRunner:
    """Run a flow class defined in a notebook cell: ``NBRunner(MyFlow).nbrun(alpha=1)``.

    dflow runs a class from a notebook directly (no file needed), in this process's
    Dask session (or the cluster it finds); ``nbrun``/``nbresume`` return the client's
    ``Run``; ``run``/``resume`` return the run's result
    (:class:`~dflow.engine.options.RunResult`: ``.run``, ``.successful``).
    """

    def __init__(self, flow: type, show_output: bool = True, **options: Any) -> None:
        from dflow.flowspec import FlowSpec

        if not (isinstance(flow, type) and issubclass(flow, FlowSpec)):
            raise DflowError(
                f"NBRunner takes a FlowSpec subclass, got {flow!r}",
                hint="pass the class itself: NBRunner(MyFlow)",
            )
        self.flow = flow
        self.options = {"quiet": not show_output, **options}

    def _kwargs(self, kwargs: dict) -> dict:
        merged = {**self.options, **kwargs}
        if "tag" in merged:
            merged["tags"] = merged.pop("tag")
        if "decospecs" in merged:
            merged["with_decorators"] = merged.pop("decospecs")
        return merged

    def run(self, **kwargs: Any) -> Any:
        """Run the flow; return its RunResult."""
        return self.flow.run(**self._kwargs(kwargs))

    def resume(self, step: str | None = None, origin_run_id: str | None = None, **kwargs) -> Any:
        """Resume a run of the flow (default: the latest); return its RunResult."""
        return self.flow.resume(origin_run_id, step, **self._kwargs(kwargs))

    def nbrun(self, **kwargs: Any) -> Any:
        """Run the flow and return the run (``dflow.client.Run``), as Metaflow's nbrun."""
        return self.run(**kwargs).run

    def nbresume(self, step: str | None = None, origin_run_id: str | None = None, **kwargs) -> Any:
        """Resume and return the run (``dflow.client.Run``)."""
        return self.resume(step, origin_run_id, **kwargs).run

    async def async_run(self, **kwargs: Any) -> Any:
        """Run the flow in a thread without blocking the event loop; its RunResult."""
        return await asyncio.to_thread(self.run, **kwargs)
