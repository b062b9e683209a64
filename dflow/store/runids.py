"""Run ids that cannot collide: claimed exclusively in the store, sorted by time.

A run id is the microseconds since the epoch at which the run started (16 digits, so ids
sort by start time as strings and as numbers). Two drivers may read the same clock, so
an id is only ever used after it was *claimed*: ``runs/<run_id>/run.json`` created
exclusively (an atomic hard link locally, a conditional PUT on object stores; see
:meth:`dflow.store.files.Files.create`). A driver that loses the race takes the next
microsecond and tries again, so every run id names exactly one run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dflow.errors import StoreError
from dflow.store.commits import dump_json
from dflow.store.files import io_error
from dflow.store.records import RECORD_LAYOUT

#: How many ids one driver tries before giving up (each try is one exclusive create).
MAX_TRIES = 1000


def claim_run_id(store, flow: str, *, clock: Callable[[], int] = time.time_ns) -> str:
    """Claim a new run id of ``flow`` in ``store`` and return it.

    ``clock`` returns nanoseconds (``time.time_ns``). The claim writes a placeholder
    ``run.json`` (``{"flow", "run_id", "created_at", "layout"}``, no status, so the run is
    not listed yet); the driver overwrites it with the full run record.
    """
    candidate = clock() // 1000
    for _ in range(MAX_TRIES):
        run_id = str(candidate)
        rel = f"{store.records.run_dir(flow, run_id)}/run.json"
        doc = {"flow": flow, "run_id": run_id, "created_at": time.time()}
        data = dump_json({**doc, "layout": RECORD_LAYOUT}, f"run record of {flow}/{run_id}")
        try:
            if store.io.create(rel, data):
                return run_id
        except OSError as exc:
            raise io_error("create", rel, exc) from exc
        candidate = max(candidate + 1, clock() // 1000)
    raise StoreError(
        f"could not claim a new run id of {flow} after {MAX_TRIES} tries",
        hint="another program may be creating runs in a loop in this store",
    )
