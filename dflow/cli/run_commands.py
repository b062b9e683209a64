"""``run`` and ``resume`` of a flow's command line: ``python flow.py run --alpha 0.7``
(``dflow run flow.py --alpha 0.7``, :mod:`dflow.cli.flow_commands`, loads the file and
hands the rest of its arguments to this one). Exit status 0 when the run succeeds, 1
when it fails."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import click

from dflow.cli.flow_options import parameter_options, top_level_configs

RUN_OPTIONS = [
    click.option(
        "--store",
        metavar="URL",
        default=None,
        help="Store root: a folder, s3://bucket/prefix, memory://... "
        "[default: DFLOW_STORE, else .dflow found walking up]",
    ),
    click.option(
        "--store-options",
        metavar="JSON",
        default=None,
        help='fsspec options as JSON, e.g. \'{"endpoint_url": "http://127.0.0.1:9000"}\'',
    ),
    click.option(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="A Dask scheduler address, or 'sync' to run every task in this process "
        "[default: DFLOW_SCHEDULER, the current Dask client, the cluster of "
        "`dflow cluster up`, else a local cluster]",
    ),
    click.option(
        "--max-workers",
        type=click.IntRange(1),
        default=None,
        help="Tasks at once: the single-thread worker processes of the local cluster "
        "started for the run (a cluster you bring runs as many as it has threads).",
    ),
    click.option(
        "--max-num-splits",
        type=click.IntRange(1),
        default=None,
        help="Fail a foreach that fans out to more tasks than this (Metaflow's option) "
        "[default: no limit].",
    ),
    click.option("--tag", "tags", multiple=True, metavar="TAG", help="Tag the run (repeatable)."),
    click.option(
        "--with",
        "with_decorators",
        multiple=True,
        metavar="DECORATOR",
        help="Attach a decorator to every step, e.g. retry:times=2 (repeatable).",
    ),
    click.option("--quiet", is_flag=True, help="Print only the run id."),
    click.option(
        "--branch",
        default=None,
        metavar="NAME",
        help="The @project branch to run on (test.NAME, or prod.NAME with --production).",
    ),
    click.option(
        "--production", is_flag=True, default=None, help="Run on the @project's production branch."
    ),
    click.option(
        "--runner-attribute-file",
        "attribute_file",
        default=None,
        hidden=True,
        help="Write the run's id and store here once it starts (dflow.runner.Runner).",
    ),
]


def _apply(options: list, func: Callable) -> Callable:
    for option in reversed(options):
        func = option(func)
    return func


def _top_level(name: str):
    """An option given before the command (``python flow.py --branch x run``)."""
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().params.get(name) if ctx is not None else None


def _options(kwargs: dict):
    import json

    from dflow.engine.options import RunOptions
    from dflow.errors import ConfigError

    raw = kwargs.pop("store_options")
    try:
        store_options = json.loads(raw) if raw else None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--store-options is not valid JSON: {exc.msg}") from None
    return RunOptions(
        store=kwargs.pop("store"),
        store_options=store_options,
        scheduler=kwargs.pop("scheduler"),
        max_workers=kwargs.pop("max_workers"),
        max_num_splits=kwargs.pop("max_num_splits"),
        tags=tuple(kwargs.pop("tags")),
        with_decorators=tuple(kwargs.pop("with_decorators")),
        quiet=kwargs.pop("quiet"),
        attribute_file=kwargs.pop("attribute_file"),
        branch=kwargs.pop("branch") or _top_level("branch"),
        production=kwargs.pop("production") or _top_level("production") or None,
        configs=top_level_configs(),
        parameters_from_cli=True,
    )


def _own_cluster_early(options) -> contextlib.AbstractContextManager:
    """When the run will start its own cluster (no scheduler given or configured, no
    cluster recorded), start it now: the process its workers fork from first
    (:mod:`dflow.engine.forkserver`), so their imports overlap this process's, then the
    scheduler and the workers, which join while the engine loads and checks the flow.

    The forkserver starts before the configuration is read (reading it imports dask,
    about 0.1 s) unless the command line or ``DFLOW_SCHEDULER`` names a scheduler; it is
    stopped again when the configuration or a recorded cluster does.
    """
    import os

    from dflow.engine import forkserver

    early = not options.scheduler and not os.environ.get("DFLOW_SCHEDULER")
    if early:
        forkserver.start_early()
    from dflow import config
    from dflow.cluster.record import load_record

    if config.get("scheduler", override=options.scheduler) or load_record() is not None:
        if early:
            forkserver.stop()
        return contextlib.nullcontext()
    from dflow.engine.targets import local_cluster_started_early

    forkserver.start_early()
    return local_cluster_started_early(options.max_workers)


def _finish(ctx: click.Context, result) -> None:
    if result.successful or not result.error:
        click.echo(result.run_id if ctx.params.get("quiet") else f"run id: {result.run_id}")
    ctx.exit(0 if result.successful else 1)


def _run_command(flow_cls: type) -> click.Command:
    names = {p.name.replace("-", "_"): p.name for _, p in flow_cls._dflow_parameters()}

    @click.pass_context
    def run(ctx: click.Context, **kwargs) -> None:
        options = _options(kwargs)
        params = {names[k]: v for k, v in kwargs.items() if k in names and v is not None}
        with _own_cluster_early(options):
            from dflow.engine.launch import run_flow

            result = run_flow(flow_cls, params, options)
        _finish(ctx, result)

    command = click.command(
        "run",
        help="Run the flow on Dask. Parameters are options.",
        epilog="\b\nExamples:\n  python flow.py run --alpha 0.7\n"
        "  python flow.py run --scheduler sync        # in-process, for pdb\n"
        "  python flow.py run --scheduler tcp://10.0.0.5:8786 --store s3://bucket/dflow",
    )(_apply(RUN_OPTIONS, run))
    command.params.extend(parameter_options(flow_cls))
    return command


def _resume_command(flow_cls: type) -> click.Command:
    @click.argument("step", required=False)
    @click.option(
        "--origin-run-id",
        metavar="RUN_ID",
        default=None,
        help="The run to resume [default: the latest run of this flow by you].",
    )
    @click.pass_context
    def resume(ctx: click.Context, step: str | None, origin_run_id: str | None, **kwargs) -> None:
        options = _options(kwargs)
        with _own_cluster_early(options):
            from dflow.engine.resume import resume_flow

            result = resume_flow(flow_cls, origin_run_id, step, options)
        _finish(ctx, result)

    return click.command(
        "resume",
        help="Resume a run: reuse what it committed, run what failed or is missing "
        "(or everything from STEP on), with the same parameters.",
        epilog="\b\nExamples:\n  python flow.py resume\n  python flow.py resume fit\n"
        "  python flow.py resume --origin-run-id 1764203961123456",
    )(_apply(RUN_OPTIONS, resume))


#: The flow CLI's commands made here (see :data:`dflow.cli.flow_cli.FLOW_COMMANDS`).
COMMANDS = (_run_command, _resume_command)
