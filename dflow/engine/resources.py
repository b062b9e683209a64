"""``@resources`` against what the cluster's workers offer: fail fast, naming what is
missing and how to offer it, instead of letting tasks wait forever."""

from __future__ import annotations

from collections.abc import Callable

from dflow.errors import ResourceUnavailableError
from dflow.graph.model import DecoratorSpec, FlowGraph

#: @resources option -> the Dask worker resource it becomes (memory in MB).
RESOURCE_NAMES = {"cpu": "CPU", "memory": "MEMORY", "gpu": "GPU"}
DEFAULTS = {"cpu": 1, "memory": 4096, "gpu": 0}


def requested(deco: DecoratorSpec) -> dict[str, float]:
    """The Dask resources a @resources decorator asks for (zero amounts left out)."""
    wanted = {}
    for option, name in RESOURCE_NAMES.items():
        amount = float(deco.get(option, DEFAULTS[option]) or 0)
        if amount > 0:
            wanted[name] = amount
    return wanted


def check_resources(
    graph: FlowGraph,
    extra: tuple[DecoratorSpec, ...],
    workers: list[dict] | None | Callable[[], list[dict] | None],
) -> None:
    """Raise ResourceUnavailableError if a step asks for more than any worker offers.

    ``workers`` is each worker's declared resources; None means they are not enforced
    (in-process runs). A callable that gives them is called only if a step asks for
    resources (so a cluster whose workers still start is waited for only then).
    """
    extra_res = [d for d in extra if d.name == "resources"]
    problems = []
    for node in graph:
        deco = node.decorator("resources") or (extra_res[0] if extra_res else None)
        if deco is None:
            continue
        if callable(workers):
            workers = workers()
        if workers is None:
            return
        wanted = requested(deco)
        if any(all(w.get(k, 0) >= v for k, v in wanted.items()) for w in workers):
            continue
        for name, amount in wanted.items():
            offered = max((w.get(name, 0) for w in workers), default=0)
            if offered < amount:
                problems.append(
                    f"step {node.name!r} needs {name}={amount:g} but the most any "
                    f"worker offers is {offered:g}"
                )
        if not any(p.startswith(f"step {node.name!r}") for p in problems):
            problems.append(
                f"step {node.name!r} needs {wanted} together, and no single worker offers all of it"
            )
    if problems:
        raise ResourceUnavailableError(
            "no worker can run this flow: " + "; ".join(problems),
            hint="start workers that offer it, e.g. `dflow cluster up --resources "
            'CPU=2,MEMORY=8000,GPU=1` or `dask worker ADDRESS --resources "MEMORY=8000"`, '
            "or lower the @resources request",
        )
