"""fsspec's and zarr's I/O loops, made while a task's context is current, keep nothing
of it (dflow.store.ioloops)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import contextvars, gc, weakref
gc.disable()
from dflow.store.ioloops import start_fsspec_loop, start_zarr_loop

class Value:
    pass

var = contextvars.ContextVar("task")
value = Value()
probe = weakref.ref(value)
token = var.set(value)
del value
start_fsspec_loop()
start_zarr_loop()
var.reset(token)
import fsspec.asyn, zarr.core.sync
assert fsspec.asyn.loop[0] is not None and zarr.core.sync.loop[0] is not None
print(probe() is None)
"""


def test_the_io_loops_are_made_outside_the_callers_context():
    # A fresh interpreter: neither loop exists yet, so this call makes both.
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True"]
