"""Inspect past runs: ``dflow runs``, ``logs``, ``dump``, ``tag``, ``code`` (and ``show RUN``).

Each command parses its arguments, builds a :class:`~dflow.client.ClientContext` (the
store from ``--store``, the namespace from ``--namespace`` / ``--all-namespaces``), calls
the client API and formats the result. Pathspecs are ``Flow/run_id/step/task_id``;
``latest`` may stand for the run id (the newest run of the namespace). An unknown
flow, run, step, task or artifact is a DflowError: one sentence, exit 1.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import click
from dask.utils import format_bytes

from dflow.cli.artifact_views import PREVIEW_CHARS, artifact_value, listed_value, pretty
from dflow.client import ClientContext, Run, Step, Task
from dflow.client.display import format_duration, format_run, format_runs, table
from dflow.client.pathspecs import resolve, resolve_run
from dflow.errors import DflowError, ObjectNotFoundError


def client_options(func: Callable) -> Callable:
    """Add ``--store``, ``--namespace`` and ``--all-namespaces``; pass ``context``."""

    @click.option(
        "--store",
        "store_url",
        metavar="URL",
        default=None,
        help="Store to read (default: DFLOW_STORE or the nearest .dflow folder).",
    )
    @click.option(
        "--namespace",
        "ns",
        metavar="NS",
        default=None,
        help="Namespace to look in (default: user:<you> or DFLOW_NAMESPACE).",
    )
    @click.option("--all-namespaces", "-A", is_flag=True, help="Look at every user's runs.")
    @click.option(
        "--trusted",
        is_flag=True,
        default=None,
        help="Let pickled artifacts be loaded (unpickling runs code: only for a store you "
        "trust; default: DFLOW_TRUSTED, else untrusted).",
    )
    @functools.wraps(func)
    def wrapper(
        store_url: str | None,
        ns: str | None,
        all_namespaces: bool,
        trusted: bool | None,
        **kwargs: Any,
    ):
        context = make_context(store_url, ns, all_namespaces, trusted=trusted)
        return func(context=context, **kwargs)

    return wrapper


def make_context(
    store_url: str | None,
    ns: str | None = None,
    all_namespaces: bool = False,
    *,
    trusted: bool | None = None,
) -> ClientContext:
    """The client context of a command: its store, namespace and trust (see
    :mod:`dflow.client.trust`: untrusted unless told)."""
    context = ClientContext(store_url, trusted=trusted)
    if all_namespaces:
        context.namespace = None
    elif ns:
        context.namespace = ns
    return context


def single_task(pathspec: str, context: ClientContext) -> Task:
    """The task a pathspec names: a task, or a step that has exactly one task."""
    obj = resolve(pathspec, context)
    if isinstance(obj, Step):
        ids = obj.task_ids
        if len(ids) != 1:
            raise ObjectNotFoundError(
                f"step {obj.pathspec} has {len(ids)} tasks: name one of them",
                hint=f"for example {obj.pathspec}/{ids[0] if ids else '0'}",
            )
        return obj[ids[0]]
    if not isinstance(obj, Task):
        raise ObjectNotFoundError(
            f"{pathspec!r} names a {obj._kind}, not a task",
            hint="pass Flow/run_id/step/task_id (or Flow/run_id/step for a one-task step)",
        )
    return obj


# --- runs -----------------------------------------------------------------------------


@click.command(
    "runs",
    epilog="\b\nExamples:\n  dflow runs TrainFlow\n"
    "  dflow runs TrainFlow --tag nightly --all-namespaces\n"
    "  dflow runs TrainFlow --store s3://bucket/dflow --limit 10",
)
@click.argument("flow")
@click.option("--tag", "tags", multiple=True, metavar="T", help="Only runs with this tag.")
@click.option(
    "--limit", "-n", type=int, default=0, show_default=True, help="Show at most N runs (0: all)."
)
@client_options
def runs_command(context: ClientContext, flow: str, tags: tuple[str, ...], limit: int) -> None:
    """List a flow's runs, newest first: id, status, start, duration, tags."""
    from dflow.client import Flow
    from dflow.errors import NamespaceMismatchError

    found, damaged = [], {}
    try:
        history = Flow(flow, context)
        runs, damaged = history.readable_runs(history.runs(*tags)), history.damaged
    except NamespaceMismatchError:  # the flow has runs, none in this namespace
        runs = iter(())
    for run in runs:
        found.append(run)
        if limit and len(found) >= limit:
            break
    for run_id, why in damaged.items():
        click.echo(f"warning: run {flow}/{run_id} is damaged and not listed: {why}", err=True)
    if not found:
        where = "any namespace" if context.namespace is None else context.namespace
        click.echo(
            f"{flow}: no runs in {where}" + (f" tagged {', '.join(tags)}" if tags else ""), err=True
        )
        return
    click.echo(format_runs(found), nl=False)


# --- logs -----------------------------------------------------------------------------


@click.command(
    "logs",
    epilog="\b\nExamples:\n  dflow logs TrainFlow/latest/fit/3\n"
    "  dflow logs TrainFlow/1700000000000000/start --stderr\n"
    "  dflow logs TrainFlow/latest/fit/3 --attempt 0",
)
@click.argument("pathspec")
@click.option("--stderr", "stderr", is_flag=True, help="Show stderr instead of stdout.")
@click.option("--attempt", type=int, default=None, help="Attempt number (default: the latest).")
@client_options
def logs_command(context: ClientContext, pathspec: str, stderr: bool, attempt: int | None) -> None:
    """Print what a task wrote to stdout (or stderr) in its latest or a given attempt."""
    task = single_task(pathspec, context)
    click.echo(task.log("stderr" if stderr else "stdout", attempt), nl=False)


# --- dump -----------------------------------------------------------------------------


@click.command(
    "dump",
    epilog="\b\nExamples:\n  dflow dump TrainFlow/latest/end\n"
    "  dflow dump TrainFlow/latest/fit/3 --artifact score\n"
    "  dflow dump TrainFlow/1700000000000000/join/0 --json > join.json",
)
@click.argument("pathspec")
@click.option("--artifact", "name", metavar="NAME", default=None, help="Print only this one.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (other values as repr).")
@client_options
def dump_command(context: ClientContext, pathspec: str, name: str | None, as_json: bool) -> None:
    """Show a task's artifacts (type, size, preview) or print one artifact's value."""
    task = single_task(pathspec, context)
    if name is not None:
        value = artifact_value(task[name], as_json=as_json)
        click.echo(json.dumps(value, indent=1) if as_json else pretty(value))
        return
    arts = list(task.artifacts)
    if as_json:
        doc = {a.id: listed_value(a) for a in arts}
        click.echo(json.dumps(doc, indent=1, sort_keys=True))
        return
    if not arts:
        damage = task.damage
        click.echo(
            f"{task.pathspec} has no artifacts"
            + (
                f": its commit is damaged ({damage}); resume reruns it"
                if damage
                else ("" if task.successful else " (it did not commit any)")
            )
        )
        return
    click.echo(
        table(
            ["name", "type", "size", "encoding", "value"],
            [[a.id, a.type, str(a.size), a.encoding, a.preview(width=PREVIEW_CHARS)] for a in arts],
        ),
        nl=False,
    )


# --- tag ------------------------------------------------------------------------------


@click.group(
    "tag",
    epilog="\b\nExamples:\n  dflow tag add TrainFlow/1700000000000000 best\n"
    "  dflow tag remove TrainFlow/latest draft\n  dflow tag list TrainFlow/latest",
)
def tag_group() -> None:
    """Add, remove or list the tags of a run (a tag is also a namespace)."""


@tag_group.command("add", epilog="\b\nExample:\n  dflow tag add TrainFlow/1700000000000000 best")
@click.argument("run_spec", metavar="FLOW/RUN")
@click.argument("tags", nargs=-1, required=True)
@client_options
def tag_add(context: ClientContext, run_spec: str, tags: tuple[str, ...]) -> None:
    """Add tags to a run."""
    run = resolve_run(run_spec, context)
    run.add_tags(tags)
    click.echo(f"{run.pathspec}: {', '.join(sorted(run.user_tags))}")


@tag_group.command("remove", epilog="\b\nExample:\n  dflow tag remove TrainFlow/latest draft")
@click.argument("run_spec", metavar="FLOW/RUN")
@click.argument("tags", nargs=-1, required=True)
@client_options
def tag_remove(context: ClientContext, run_spec: str, tags: tuple[str, ...]) -> None:
    """Remove tags from a run."""
    run = resolve_run(run_spec, context)
    run.remove_tags(tags)
    click.echo(f"{run.pathspec}: {', '.join(sorted(run.user_tags)) or '(no tags)'}")


@tag_group.command("list", epilog="\b\nExample:\n  dflow tag list TrainFlow/latest")
@click.argument("run_spec", metavar="FLOW/RUN")
@client_options
def tag_list(context: ClientContext, run_spec: str) -> None:
    """Print a run's tags, one a line."""
    for tag in sorted(resolve_run(run_spec, context).user_tags):
        click.echo(tag)


# --- code and show --------------------------------------------------------------------


@click.command(
    "code",
    epilog="\b\nExamples:\n  dflow code TrainFlow/latest\n"
    "  dflow code TrainFlow/latest --list\n"
    "  dflow code TrainFlow/1700000000000000 --extract ./old-code",
)
@click.argument("run_spec", metavar="FLOW/RUN")
@click.option(
    "--extract",
    "target",
    metavar="DIR",
    default=None,
    help="Copy the snapshot's files into DIR (else print the flow file).",
)
@click.option("--force", is_flag=True, help="Extract into a non-empty DIR, overwriting files.")
@click.option(
    "--list",
    "listing",
    is_flag=True,
    help="List the snapshot's files: size, name, and the file each was packed from.",
)
@client_options
def code_command(
    context: ClientContext, run_spec: str, target: str | None, force: bool, listing: bool
) -> None:
    """Print the flow file a run ran (where it came from on stderr), list the snapshot's
    files and where each came from, or extract the whole snapshot."""
    run = resolve_run(run_spec, context)
    code = run.code
    if code is None:
        raise ObjectNotFoundError(
            f"run {run.pathspec} has no code snapshot",
            hint="its flow was defined outside a file (e.g. a notebook)",
        )
    if listing and target is not None:
        raise DflowError("give either --list or --extract DIR, not both")
    if listing:
        click.echo(_code_listing(run.pathspec, code), nl=False)
        return
    if target is None:
        name = code.script_name or "?"
        click.echo(f"# {run.pathspec} ran {name}{_came_from(code, name)}", err=True)
        click.echo(code.flowspec, nl=False)
        return
    path = code.extract(target, force=force)
    name = code.script_name or "?"
    click.echo(
        f"extracted the code of {run.pathspec} into {path} (flow file: {name}"
        f"{_came_from(code, name)})"
    )


def _came_from(code, name: str) -> str:
    origin = code.origin_of(name) if name != "?" else None
    if origin is None:
        return ""
    return f", from {code.source_host}:{origin}" if code.source_host else f", from {origin}"


def _code_listing(pathspec: str, code) -> str:
    files = code.files()
    where = (
        f"packed from {code.source_host + ':' if code.source_host else ''}{code.source_root}"
        if code.source_root
        else "its origin was not recorded (an older run)"
    )
    head = (
        f"code of {pathspec}: snapshot {code.key}, {len(files)} "
        f"file{'' if len(files) == 1 else 's'}, {where}; "
        f"flow file {code.script_name or '?'}\n"
    )
    rows = [[format_bytes(f.size), f.name, f.origin or "-"] for f in files]
    return head + table(["size", "file", "came from"], rows)


def show_run(pathspec: str, fmt: str = "text", store: str | None = None) -> None:
    """``dflow show FLOW/RUN``: the run's steps, task counts, status and timing (text),
    and the flow's graph as the run recorded it, each step marked with its state (text,
    dot or mermaid; unreached steps grey)."""
    from dflow.graph.render import render

    run: Run = resolve_run(pathspec, make_context(store))
    graph = run.graph
    if graph is None and fmt != "text":
        raise DflowError(
            f"run {run.pathspec} was recorded before dflow kept the flow's graph in the run "
            f"record, so --format {fmt} cannot draw it",
            hint=f"draw the flow file instead: dflow show FLOW_FILE --format {fmt}",
        )
    if fmt != "text":
        click.echo(render(graph, fmt, run.step_states()), nl=False)
        return
    out = format_run(run)
    if graph is not None:
        out += "\ngraph\n" + render(graph, "text", run.step_states())
    click.echo(out, nl=False)


def register(main: click.Group) -> None:
    """Add ``runs``, ``logs``, ``dump``, ``tag`` and ``code`` to the ``dflow`` group."""
    for command in (runs_command, logs_command, dump_command, tag_group, code_command):
        main.add_command(command)


__all__ = ["format_duration", "format_run", "make_context", "register", "show_run", "single_task"]
