"""The driver's heartbeat: while a run goes, its driver rewrites the run's heartbeat in
the store every ``dflow.heartbeat.interval`` seconds, so a reader can tell a run that is
going from one whose driver died (killed, machine lost) and will never finish."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from dflow import config
from dflow.engine.progress import say
from dflow.errors import StoreError
from dflow.store import Store


@contextlib.contextmanager
def heartbeat(store: Store, flow: str, run_id: str) -> Iterator[None]:
    """Beat now and every interval until the block ends."""
    interval = float(config.get("heartbeat.interval"))
    stop = threading.Event()

    def beat() -> None:
        warned = False
        while True:
            try:
                store.write_heartbeat(flow, run_id)
            except Exception as exc:  # noqa: BLE001 - the run goes on; say so once, loudly
                if not warned:  # (a thread's traceback would only bury the run's own error)
                    why = exc if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
                    say(f"warning: cannot write the heartbeat of {flow}/{run_id}: {why}")
                    warned = True
            if stop.wait(interval):
                return

    store.write_heartbeat(flow, run_id)
    thread = threading.Thread(
        target=lambda: stop.wait(interval) or beat(), name="dflow-heartbeat", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
