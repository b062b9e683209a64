"""Write many run records straight through the store API (no flow runs): a long history."""

from dflow.store import Store, TaskAddress

FLOW = "HistoryFlow"


def write_history(store: Store, count: int, statuses: dict[int, tuple[str, str]]) -> list[str]:
    """Write ``count`` run records of :data:`FLOW`, oldest first; return their ids.

    Run ``i`` succeeds as user ``alice`` unless ``statuses[i] = (status, user)``. Every
    succeeded run gets a committed ``end/0`` task whose artifact ``y`` is ``i``.
    """
    ids = []
    base = 1_700_000_000_000_000
    for i in range(count):
        run_id = str(base + i * 1000)
        status, user = statuses.get(i, ("succeeded", "alice"))
        store.write_run_record(
            FLOW,
            run_id,
            {
                "flow": FLOW,
                "run_id": run_id,
                "status": status,
                "user": user,
                "tags": [],
                "namespace": f"user:{user}",
                "parameters": {},
                "parameter_refs": {},
                "created_at": (base + i * 1000) / 1e6,
                "finished_at": (base + i * 1000) / 1e6 + 1,
                "duration": 1.0,
                "code_key": None,
                "error": None,
            },
        )
        ids.append(run_id)
        if status == "succeeded" and i >= count - 20:  # only the newest need real tasks
            commit_end_task(store, run_id, i)
    return ids


def commit_end_task(store: Store, run_id: str, value: int) -> None:
    """Commit an ``end/0`` task holding artifact ``y = value``."""
    addr = TaskAddress(FLOW, run_id, "end", "0")
    attempt = store.start_attempt(addr)
    store.commit_attempt(addr, attempt, {"y": store.save(value)}, {"info": {}})
    store.write_attempt_record(
        addr,
        attempt,
        {
            "attempt": attempt,
            "status": "succeeded",
            "started_at": 0.0,
            "finished_at": 1.0,
            "parents": [],
        },
    )
