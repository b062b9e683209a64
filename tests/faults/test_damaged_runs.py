"""A damaged run record (garbled or deleted run.json) hides only its own run."""

from __future__ import annotations

from faultkit import dflow_in_process, run, run_dir, zoo_flow

from dflow.client import ClientContext, Flow


def _three_runs(store_url: str) -> list[str]:
    cls = zoo_flow("good_linear.py", "LinearFlow")
    return [run(cls, store_url).run_id for _ in range(3)]


def test_listing_runs_skips_a_garbled_and_a_deleted_run_record(store_url):
    good, garbled, deleted = _three_runs(store_url)
    (run_dir(store_url, "LinearFlow", garbled) / "run.json").write_text('{"flow": "Lin')
    (run_dir(store_url, "LinearFlow", deleted) / "run.json").unlink()

    flow = Flow("LinearFlow", ClientContext(store_url))  # the default namespace: mine
    assert [r.id for r in flow.runs()] == [good]
    assert set(flow.damaged) == {garbled, deleted}
    assert flow.latest_run.id == good
    assert flow.latest_successful_run.id == good

    for every in ((), ("-A",)):
        _check_cli(store_url, good, garbled, deleted, every)


def _check_cli(store_url, good, garbled, deleted, every):
    done = dflow_in_process("runs", "LinearFlow", "--store", store_url, *every)
    assert done.returncode == 0, done.stderr
    assert good in done.stdout
    assert "Traceback" not in done.stderr
    damaged_lines = [line for line in done.stderr.splitlines() if "damaged" in line]
    assert len(damaged_lines) == 2, done.stderr
    assert any(garbled in line for line in damaged_lines)
    assert any(deleted in line for line in damaged_lines)
    assert "dflow runs" not in done.stderr  # no hint to do what was just done


def test_without_a_namespace_the_other_runs_stay_readable(store_url):
    good, garbled, _ = _three_runs(store_url)
    (run_dir(store_url, "LinearFlow", garbled) / "run.json").write_text("not json")
    flow = Flow("LinearFlow", ClientContext(store_url, namespace=None))
    assert [r.id for r in flow.readable_runs(flow.runs())][-1] == good
    assert list(flow.damaged) == [garbled]


def damage_commit(folder, how: str) -> None:
    """Damage the commit of the attempt in ``folder`` (as the fault tests name it)."""
    if how == "DONE deleted":
        (folder / "DONE").unlink()
    elif how == "DONE garbled":
        (folder / "DONE").write_text("{not json")
    elif how == "DONE changed, same size":  # a flipped character: only the digest tells
        data = (folder / "DONE").read_text()
        (folder / "DONE").write_text(data.replace('"succeeded"', '"succeedex"'))
    elif how == "manifest deleted":
        (folder / "manifest.json").unlink()
    else:
        (folder / "manifest.json").write_text('{"artifacts": {"x": ')


#: The ways a commit is damaged, by layout. A layout-2 commit is its DONE alone: deleting
#: it leaves an attempt that never committed (it reads as interrupted, and resume reruns
#: it), so the damage there is to its bytes.
DAMAGE = {
    2: ["DONE garbled", "DONE changed, same size"],
    1: ["DONE deleted", "DONE garbled", "manifest deleted", "manifest garbled"],
}
CASES = [(layout, how) for layout, hows in DAMAGE.items() for how in hows]


def as_layout(store_url: str, run_id: str, layout: int) -> None:
    """Rewrite a run of LinearFlow into ``layout`` (it is written in layout 2)."""
    if layout == 1:
        from layoutkit import downgrade_run

        from dflow.store import open_store

        downgrade_run(open_store(store_url), "LinearFlow", run_id)


import pytest  # noqa: E402


@pytest.mark.parametrize(("layout", "how"), CASES)
def test_a_damaged_commit_is_damaged_everywhere(layout, how, store_url):
    from faultkit import attempt_dir

    from dflow.report.collect import collect_run

    cls = zoo_flow("good_linear.py", "LinearFlow")
    run_id, sound = run(cls, store_url).run_id, run(cls, store_url).run_id
    as_layout(store_url, run_id, layout)
    as_layout(store_url, sound, layout)
    damage_commit(attempt_dir(store_url, "LinearFlow", run_id, "middle"), how)
    context = ClientContext(store_url, namespace=None)
    from dflow.client import Run

    r = Run(f"LinearFlow/{run_id}", context)
    task = r["middle"].task
    assert task.state == "damaged" and not task.successful
    assert r["start"].task.state == "succeeded"
    assert r.step_states()["middle"] == "damaged"
    data = collect_run(context.store, "LinearFlow", run_id)
    (middle,) = [t for t in data.tasks if t.step == "middle"]
    assert middle.status == "damaged"
    shown = dflow_in_process("show", f"LinearFlow/{run_id}", "--store", store_url)
    assert shown.returncode == 0, shown.stderr
    row = next(line for line in shown.stdout.splitlines() if line.startswith("middle "))
    assert "damaged" in row and "succeeded" not in row
    dumped = dflow_in_process("dump", f"LinearFlow/{run_id}/middle/0", "--store", store_url, "-A")
    assert "damaged" in dumped.stdout + dumped.stderr
    assert "Traceback" not in dumped.stderr
    # the run itself: damaged in the client, dflow show, dflow runs and the report alike
    assert r.status == "succeeded"  # what its record says
    assert r.state == "damaged" and list(r.damaged_tasks) == ["middle/0"]
    assert data.state == "damaged"
    assert shown.stdout.splitlines()[0].endswith("damaged")
    assert "middle/0" in shown.stdout and "resume reruns" in shown.stdout
    listed = dflow_in_process("runs", "LinearFlow", "--store", store_url, "-A")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1] for line in listed.stdout.splitlines()[1:]}
    assert rows == {run_id: "damaged", sound: "succeeded"}
    from dflow.report.page import render_page

    page = render_page(data)
    assert '<span class="badge damaged">damaged</span>' in page
    from dflow.report.graph import run_graph

    drawn = {n.name: n.state for n in run_graph(data).nodes}  # the report's graph
    assert drawn == {"start": "succeeded", "middle": "damaged", "end": "succeeded"}
    assert '<g class="node damaged" data-step="middle"' in page
