"""The event loops fsspec and zarr run their I/O on start in an empty context.

fsspec (``fsspec.asyn.get_loop``) and zarr (``zarr.core.sync``) each run one event loop
in a thread of their own, made the first time a process needs it. An asyncio loop keeps
a handle of its self-pipe reader for its whole life, and that handle holds a copy of the
:mod:`contextvars` context the loop was made in. Made lazily inside a task, the loop
would keep that task's context for the life of the worker: ``current``'s task info, and
through it the task's flow instance and every value the step set (the first 512 MiB array
a worker saved stayed in memory beside every later one). :func:`start_fsspec_loop` and
:func:`start_zarr_loop` make them in an empty context instead; both are cheap once the
loop exists.
"""

from __future__ import annotations

import contextvars


def start_fsspec_loop() -> None:
    """Make fsspec's I/O loop (if it is not running yet) outside any task's context."""
    import fsspec.asyn

    if fsspec.asyn.loop[0] is None:
        contextvars.Context().run(fsspec.asyn.get_loop)


def start_zarr_loop() -> None:
    """Make zarr's I/O loop (if it is not running yet) outside any task's context."""
    from zarr.core import sync

    getter = getattr(sync, "_get_loop", None)
    if getter is not None and sync.loop[0] is None:
        contextvars.Context().run(getter)
