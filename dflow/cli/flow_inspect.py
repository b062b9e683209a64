"""``python flow.py dump|logs|tag ...``: Metaflow's inspection commands on a flow's own
command line, as thin wrappers over ``dflow dump``, ``dflow logs`` and ``dflow tag``.

Pathspecs leave out the flow's name, as in Metaflow (``python flow.py dump 17000/end``);
``latest`` names the newest run. ``tag`` takes ``--run-id`` (default: the latest run).
"""

from __future__ import annotations

import os
import sys

import click

_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}


def full_pathspec(flow_cls: type, pathspec: str) -> str:
    """``RUN/STEP[/TASK]`` of this flow as dflow's ``FLOW/RUN/STEP[/TASK]``."""
    name = flow_cls.__name__
    text = pathspec.strip("/")
    return text if text.split("/", 1)[0] == name else f"{name}/{text}"


def _forward(command: click.Command, args: list[str], prog: str) -> None:
    command.main(args=args, prog_name=prog, standalone_mode=False)


def _dump_command(flow_cls: type) -> click.Command:
    @click.command(
        "dump",
        context_settings=_PASS_THROUGH,
        epilog="\b\nExamples:\n  python flow.py dump latest/end\n"
        "  python flow.py dump 1700000000000000/fit/3 --artifact score",
    )
    @click.argument("input_path", metavar="RUN_ID/STEP[/TASK]")
    @click.pass_context
    def dump(ctx: click.Context, input_path: str) -> None:
        """Show a task's artifacts (options as for `dflow dump`: --artifact, --json)."""
        from dflow.cli.inspect_commands import dump_command

        _forward(dump_command, [full_pathspec(flow_cls, input_path), *ctx.args], "dump")

    return dump


def _logs_command(flow_cls: type) -> click.Command:
    @click.command(
        "logs",
        context_settings=_PASS_THROUGH,
        epilog="\b\nExamples:\n  python flow.py logs latest/end\n"
        "  python flow.py logs 1700000000000000/fit/3 --stderr",
    )
    @click.argument("input_path", metavar="RUN_ID/STEP[/TASK]")
    @click.option("--stdout", "stdout", is_flag=True, help="Show stdout (the default).")
    @click.pass_context
    def logs(ctx: click.Context, input_path: str, stdout: bool) -> None:
        """Print a task's output (options as for `dflow logs`: --stderr, --attempt)."""
        from dflow.cli.inspect_commands import logs_command

        _forward(logs_command, [full_pathspec(flow_cls, input_path), *ctx.args], "logs")

    return logs


def _tag_command(flow_cls: type) -> click.Command:
    @click.group("tag", epilog="\b\nExample:\n  python flow.py tag add --run-id 1700000 best")
    def tag() -> None:
        """Add, remove, replace or list the tags of a run of this flow."""

    def run_spec(run_id: str | None) -> str:
        return f"{flow_cls.__name__}/{run_id or 'latest'}"

    def store_args(store: str | None) -> list[str]:
        return ["--store", store] if store else []

    def sub(name: str, help_text: str, *, takes_tags: bool = True):
        @tag.command(name, help=help_text)
        @click.option("--run-id", default=None, help="The run (default: the latest run).")
        @click.option("--store", default=None, help="The store (default: DFLOW_STORE/.dflow).")
        @click.argument("tags", nargs=-1, required=takes_tags)
        def command(run_id: str | None, store: str | None, tags: tuple[str, ...]) -> None:
            # imported when used: building the flow CLI must not load the client
            from dflow.cli import inspect_commands

            target = inspect_commands.tag_group.commands[name]
            _forward(target, [run_spec(run_id), *tags, *store_args(store)], f"tag {name}")

        return command

    sub("add", "Add tags to a run.")
    sub("remove", "Remove tags from a run.")
    sub("list", "Print a run's tags, one a line.", takes_tags=False)

    @tag.command("replace", help="Replace tag OLD with NEW on a run.")
    @click.option("--run-id", default=None, help="The run (default: the latest run).")
    @click.option("--store", default=None, help="The store (default: DFLOW_STORE/.dflow).")
    @click.argument("old")
    @click.argument("new")
    def replace(run_id: str | None, store: str | None, old: str, new: str) -> None:
        from dflow.cli import inspect_commands

        add = inspect_commands.tag_group.commands["add"]
        remove = inspect_commands.tag_group.commands["remove"]
        _forward(add, [run_spec(run_id), new, *store_args(store)], "tag replace")
        _forward(remove, [run_spec(run_id), old, *store_args(store)], "tag replace")

    return tag


def _card_task_spec(flow_cls: type, spec: str, run_id: str | None) -> str:
    parts = spec.strip("/").split("/")
    if len(parts) == 1:  # STEP: of --run-id or the latest run
        parts = [run_id or "latest", parts[0]]
    return full_pathspec(flow_cls, "/".join(parts))


def _cards_of(flow_cls: type, spec: str, run_id: str | None, card_id: str | None, store):
    from dflow.cli.inspect_commands import make_context, single_task
    from dflow.client.cards import get_cards
    from dflow.errors import ObjectNotFoundError

    context = make_context(store, None, all_namespaces=True)
    task = single_task(_card_task_spec(flow_cls, spec, run_id), context)
    cards = get_cards(task, id=card_id)
    if not cards:
        raise ObjectNotFoundError(
            f"task {task.pathspec} has no cards" + (f" with id {card_id!r}" if card_id else ""),
            hint="decorate the step with @card (and re-run it)",
        )
    return task, cards


def _card_command(flow_cls: type) -> click.Command:
    @click.group(
        "card",
        epilog="\b\nExamples:\n  python flow.py card view start\n"
        "  python flow.py card get 1700000000000000/fit/3 fit.html",
    )
    def card() -> None:
        """View or save the cards of a task (STEP, RUN_ID/STEP or RUN_ID/STEP/TASK)."""

    options = [
        click.option("--run-id", default=None, help="The run (default: the latest)."),
        click.option("--id", "card_id", default=None, help="Only the card with this id."),
        click.option("--store", default=None, help="The store (default: DFLOW_STORE/.dflow)."),
    ]

    def with_options(func):
        for option in reversed(options):
            func = option(func)
        return func

    @card.command("view")
    @click.argument("spec", metavar="STEP")
    @with_options
    def view(spec: str, run_id: str | None, card_id: str | None, store: str | None) -> None:
        """Write the task's card to an HTML file, open it in a browser, print its path."""
        import tempfile
        import webbrowser

        task, cards = _cards_of(flow_cls, spec, run_id, card_id, store)
        folder = tempfile.mkdtemp(prefix="dflow-card-")
        for number, found in enumerate(cards):
            path = f"{folder}/{task.pathspec.replace('/', '-')}-{number}.html"
            with open(path, "w", encoding="utf-8") as out:
                out.write(found.html)
            click.echo(path)
            if os.environ.get("DISPLAY") or sys.platform == "darwin":
                webbrowser.open(f"file://{path}")

    @card.command("get")
    @click.argument("spec", metavar="STEP")
    @click.argument("file", required=False)
    @with_options
    def get(
        spec: str, file: str | None, run_id: str | None, card_id: str | None, store: str | None
    ) -> None:
        """Print the task's card HTML, or write it to FILE."""
        _, cards = _cards_of(flow_cls, spec, run_id, card_id, store)
        html = cards[0].html
        if file:
            with open(file, "w", encoding="utf-8") as out:
                out.write(html)
        else:
            click.echo(html)

    return card


#: The flow CLI's commands made here (see :data:`dflow.cli.flow_cli.FLOW_COMMANDS`).
COMMANDS = (_dump_command, _logs_command, _tag_command, _card_command)
