"""The smaller bad inputs: each is one clear sentence, never an internal traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from faultkit import dflow_in_process, fault_flow, run

from dflow.errors import StoreError
from dflow.store import TaskAddress, open_store


@pytest.mark.parametrize("what", ["lock", "generator", "socket"])
def test_an_unpicklable_artifact_fails_naming_the_step_and_the_artifact(what, store_url):
    result = run(fault_flow("UnpicklableFlow"), store_url, {"what": what})
    assert not result.successful
    message = result.error.message
    assert "step 'start' cannot store artifact 'thing'" in message
    assert "cannot be pickled" in message
    assert "cloudpickle" not in result.error.traceback


@pytest.mark.parametrize("tag", ["two\nlines", "tab\there", "nul\x00"])
def test_tags_with_control_characters_are_refused(tag, store_url):
    from dflow.store.tags import check_tag

    with pytest.raises(StoreError, match="control character"):
        check_tag(tag)
    cls = fault_flow("TwoArtifactsFlow")
    with pytest.raises(StoreError, match="control character"):
        run(cls, store_url, tags=(tag,))
    ok = run(cls, store_url, tags=("fine-tag", "ünïcode ok"))
    assert ok.successful
    if "\x00" in tag:
        return  # no command line can carry a NUL
    done = dflow_in_process(
        "tag", "add", f"TwoArtifactsFlow/{ok.run_id}", tag, "--store", store_url
    )
    assert done.returncode == 1 and "control character" in done.stderr
    assert "Traceback" not in done.stderr


NON_ASCII = """
from dflow import FlowSpec, step


class FlüssFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
"""

NEXT_ASSIGNED = """
from dflow import FlowSpec, step


class NextAssignedFlow(FlowSpec):
    @step
    def start(self):
        self.next = 1
        self.next(self.end)

    @step
    def end(self):
        pass
"""


def test_a_non_ascii_flow_name_is_refused_by_check_as_by_run(tmp_path):
    flow = tmp_path / "fluss.py"
    flow.write_text(NON_ASCII)
    checked = dflow_in_process("check", str(flow))
    assert checked.returncode == 1
    assert "fluss.py:5: flow class name 'FlüssFlow' is not ASCII" in checked.stdout
    ran = dflow_in_process("run", str(flow), "--scheduler", "sync", "--store", str(tmp_path / "s"))
    assert ran.returncode == 1 and "Traceback" not in ran.stderr


def test_assigning_self_next_in_a_step_is_caught_by_check(tmp_path):
    flow = tmp_path / "nextassigned.py"
    flow.write_text(NEXT_ASSIGNED)
    checked = dflow_in_process("check", str(flow))
    assert checked.returncode == 1
    assert "nextassigned.py:8: step 'start' assigns self.next" in checked.stdout


def test_dump_shows_every_artifact_it_can_and_marks_the_others(store_url):
    result = run(fault_flow("TwoArtifactsFlow"), store_url)
    store = open_store(store_url)
    manifest = store.latest_commit(TaskAddress("TwoArtifactsFlow", result.run_id, "start", "0"))
    key = manifest.artifacts["first"].key
    blob = Path(store_url) / "objects" / key[:2] / key[2:]
    blob.write_bytes(blob.read_bytes()[:-3])  # truncated
    spec = f"TwoArtifactsFlow/{result.run_id}/start/0"
    for extra in ((), ("--json",)):
        done = dflow_in_process("dump", spec, *extra, "--store", store_url, "-A")
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert "[1, 2, 3]" in done.stdout.replace("\n", "").replace(" ", "").replace(
            "[1,2,3]", "[1, 2, 3]"
        )
        assert "not loaded" in done.stdout and "corrupt" in done.stdout


def test_code_extract_onto_a_file_or_a_non_empty_folder_is_refused(tmp_path, store_url):
    result = run(fault_flow("TwoArtifactsFlow"), store_url)
    spec = f"TwoArtifactsFlow/{result.run_id}"
    afile = tmp_path / "afile"
    afile.write_text("mine")
    done = dflow_in_process("code", spec, "--extract", str(afile), "--store", store_url, "-A")
    assert done.returncode == 1 and "it is a file" in done.stderr
    assert "Traceback" not in done.stderr and afile.read_text() == "mine"
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "faulty.py").write_text("my own work")
    done = dflow_in_process("code", spec, "--extract", str(folder), "--store", store_url, "-A")
    assert done.returncode == 1 and "not empty" in done.stderr and "--force" in done.stderr
    assert (folder / "faulty.py").read_text() == "my own work"
    done = dflow_in_process(
        "code", spec, "--extract", str(folder), "--force", "--store", store_url, "-A"
    )
    assert done.returncode == 0, done.stderr
    assert "class TwoArtifactsFlow" in (folder / "faulty.py").read_text()
    fresh = tmp_path / "fresh"
    done = dflow_in_process("code", spec, "--extract", str(fresh), "--store", store_url, "-A")
    assert done.returncode == 0 and (fresh / "faulty.py").exists()
