"""Read everything a run report shows out of the store, into plain dataclasses.

Reads go through the store API only (run record, attempt records, committed manifests),
so a report needs no code import and no Dask. Per-task reads run in a small thread pool,
which matters on object stores where each read is a round trip.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from dflow.client.base import task_id_key
from dflow.errors import RecordNotFoundError
from dflow.report.cards import CardFragment, run_cards
from dflow.report.preview import ArtifactInfo, describe_artifacts
from dflow.store import Store, TaskAddress
from dflow.store.attempts import AttemptInfo
from dflow.store.commit_state import DAMAGED, attempt_state, run_state

#: Tasks per step whose artifacts are listed with previews (the rest are only counted).
MAX_TASKS_WITH_ARTIFACTS = 5


@dataclass(frozen=True)
class TaskData:
    """One task: its attempts, its parents ("step/task_id") and, maybe, its artifacts.

    ``artifacts`` are the ones this task's step set (new or changed values);
    ``inherited`` names the ones it passed on unchanged from its parent.
    """

    step: str
    task_id: str
    attempts: tuple[AttemptInfo, ...]
    parents: tuple[str, ...]
    artifacts: tuple[ArtifactInfo, ...] | None = None
    inherited: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """The status of the last attempt ("succeeded", "failed" or "running")."""
        return self.attempts[-1].status if self.attempts else "waiting"


@dataclass(frozen=True)
class StepData:
    """One step of the run and its tasks (ordered by task id)."""

    name: str
    tasks: tuple[TaskData, ...]


@dataclass(frozen=True)
class RunData:
    """A run as a report shows it: its record and its steps."""

    flow: str
    run_id: str
    record: dict
    steps: tuple[StepData, ...]
    store_url: str = ""
    notes: list[str] = field(default_factory=list)
    cards: tuple[CardFragment, ...] = ()  # per-task cards (dflow.report.cards)

    @property
    def tasks(self) -> list[TaskData]:
        """Every task of every step."""
        return [t for s in self.steps for t in s.tasks]

    @property
    def state(self) -> str:
        """The run's recorded status, or "damaged" when it says succeeded and a task is
        damaged (as ``dflow runs``, ``dflow show`` and ``Run.state`` say it)."""
        damaged = [f"{t.step}/{t.task_id}" for t in self.tasks if t.status == DAMAGED]
        return run_state(str(self.record.get("status", "?")), lambda: damaged)


def _attempt(store: Store, addr: TaskAddress, n: int) -> AttemptInfo:
    """Attempt ``n`` as its record says ("running" without one), its status "damaged" for
    a success without a sound commit."""
    try:
        info = AttemptInfo.from_dict(store.read_attempt_record(addr, n), n)
    except RecordNotFoundError:
        info = AttemptInfo(attempt=n)
    return replace(info, status=attempt_state(store, addr, n, info))


def _read_task(store: Store, addr: TaskAddress, with_artifacts: bool) -> TaskData:
    attempts = tuple(_attempt(store, addr, n) for n in store.list_attempts(addr))
    parents = (attempts[-1].parents or ()) if attempts else ()
    artifacts, inherited = None, ()
    if with_artifacts:
        manifest = store.latest_commit(addr)
        artifacts = ()  # listed, even when nothing was committed (a failed task)
        if manifest is not None:
            passed = _passed_on(store, addr, parents, manifest.artifacts)
            own = {k: v for k, v in manifest.artifacts.items() if k not in passed}
            artifacts = tuple(describe_artifacts(store, own))
            inherited = tuple(sorted(passed))
    return TaskData(addr.step, addr.task_id, attempts, parents, artifacts, inherited)


def _passed_on(store: Store, addr: TaskAddress, parents: tuple[str, ...], artifacts) -> set[str]:
    """Names of ``artifacts`` that hold the very value (same key) a parent task had."""
    seen: dict[str, set[str]] = {}
    for parent in parents:
        step, _, task_id = parent.partition("/")
        manifest = store.latest_commit(TaskAddress(addr.flow, addr.run_id, step, task_id))
        for name, ref in (manifest.artifacts if manifest else {}).items():
            seen.setdefault(name, set()).add(ref.key)
    return {name for name, ref in artifacts.items() if ref.key in seen.get(name, ())}


def collect_run(store: Store, flow: str, run_id: str, *, threads: int = 8) -> RunData:
    """Read run ``flow/run_id`` from ``store``; RecordNotFoundError if there is no such run."""
    record = dict(store.read_run_record(flow, run_id))
    record["tags"] = store.run_tags(flow, run_id, record=record)  # tags live in their own objects
    jobs: list[tuple[str, TaskAddress, bool]] = []
    for step in store.list_steps(flow, run_id):
        ids = sorted(store.list_tasks(flow, run_id, step), key=task_id_key)
        for i, task_id in enumerate(ids):
            jobs.append(
                (step, TaskAddress(flow, run_id, step, task_id), i < MAX_TASKS_WITH_ARTIFACTS)
            )
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        tasks = list(pool.map(lambda job: _read_task(store, job[1], job[2]), jobs))
    by_step: dict[str, list[TaskData]] = {}
    for task in tasks:
        by_step.setdefault(task.step, []).append(task)
    steps = tuple(StepData(name, tuple(ts)) for name, ts in by_step.items())
    cards = run_cards(store, flow, run_id, {s.name: [t.task_id for t in s.tasks] for s in steps})
    return RunData(flow, run_id, record, steps, store_url=store.url, cards=tuple(cards))
