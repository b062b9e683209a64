"""Exclusive creates (DONE, started.json) are atomic: never seen partial, never doubled."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from dflow.errors import StoreError
from dflow.store import Store, open_store
from dflow.store import files as files_module
from dflow.store.files import Files

DATA = b'{"layout": 1, "manifest": "' + b"ab" * 16 + b'"}'


class _TornFile:
    """A file whose write stops half-way: then ``after_half`` runs (a reader, a crash)."""

    def __init__(self, real, after_half):
        self.real, self.after_half = real, after_half

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()
        return False

    def write(self, data):
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        self.after_half()

    def __getattr__(self, name):
        return getattr(self.real, name)


def _local(tmp_path) -> Files:
    store = open_store(str(tmp_path / "store"))
    io = store.io
    assert io.local
    return io


def test_a_reader_never_sees_a_partial_create_and_a_failed_one_can_be_retried(
    tmp_path, monkeypatch
) -> None:
    io = _local(tmp_path)
    rel = "flows/F/runs/1/steps/s/0/0/DONE"
    seen = []

    def reader_then_failure():
        try:
            seen.append(io.read(rel))
        except FileNotFoundError:
            seen.append(None)
        raise OSError(errno.ENOSPC, "disk full")

    real_open = open
    monkeypatch.setattr(
        files_module,
        "open",
        lambda *a, **k: _TornFile(real_open(*a, **k), reader_then_failure),
        raising=False,
    )
    with pytest.raises(OSError, match="disk full"):
        io.create(rel, DATA)
    monkeypatch.undo()
    assert seen == [None]  # the reader in between saw no file, not half of one
    assert not io.exists(rel)
    assert io.ls(os.path.dirname(rel)) == []  # no temp file left behind
    assert io.create(rel, DATA) is True
    assert io.read(rel) == DATA


def test_a_process_killed_mid_create_leaves_no_partial_file(tmp_path) -> None:
    io = _local(tmp_path)
    rel = "flows/F/runs/1/steps/s/0/0/DONE"
    child = textwrap.dedent(f"""
        import os, signal, sys
        from dflow.store import files, open_store

        real_open = open

        class Killed:
            def __init__(self, f):
                self.f = f
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return False
            def write(self, data):
                self.f.write(data[: len(data) // 2])
                self.f.flush()
                os.kill(os.getpid(), signal.SIGKILL)

        files.open = lambda *a, **k: Killed(real_open(*a, **k))
        open_store({str(tmp_path / "store")!r}).io.create({rel!r}, {DATA!r})
    """)
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert not io.exists(rel)  # the attempt is simply not committed
    assert io.create(rel, DATA) is True and io.read(rel) == DATA


def test_local_create_is_exclusive_under_threads(tmp_path) -> None:
    io = _local(tmp_path)
    results: dict[int, bool] = {}
    barrier = threading.Barrier(8)

    def create(i: int) -> None:
        barrier.wait()
        results[i] = io.create("race/DONE", f"writer {i}".encode())

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, won in results.items() if won]
    assert len(winners) == 1
    assert io.read("race/DONE") == f"writer {winners[0]}".encode()
    assert io.ls("race") == ["DONE"]


def test_create_without_hard_links_is_still_exclusive(tmp_path, monkeypatch) -> None:
    io = _local(tmp_path)

    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(files_module.os, "link", no_links)
    assert io.create("x/DONE", b"one") is True
    assert io.create("x/DONE", b"two") is False
    assert io.read("x/DONE") == b"one" and io.ls("x") == ["DONE"]


def test_create_is_exclusive_even_if_a_writer_lands_after_the_check(
    store: Store, monkeypatch
) -> None:
    """Every backend: a second create fails even when an existence check would say 'absent'
    (the window of a check-then-PUT), because the create itself is conditional."""
    monkeypatch.setattr(store.io, "exists", lambda rel: False)
    assert store.io.create("x/DONE", b"first") is True
    assert store.io.create("x/DONE", b"second") is False
    assert store.io.read("x/DONE") == b"first"


def _counting(monkeypatch, name: str) -> list:
    """Record every call of ``os.<name>`` the file layer makes (then calls the real one)."""
    calls: list = []
    real = getattr(files_module.os, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(files_module.os, name, counted)
    return calls


def test_a_durable_create_fsyncs_and_a_non_durable_one_does_not(tmp_path, monkeypatch) -> None:
    io = _local(tmp_path)
    fsyncs = _counting(monkeypatch, "fsync")
    assert io.create("t/0/DONE", DATA) is True
    assert len(fsyncs) == 1
    assert io.create("t/0/started.json", DATA, durable=False) is True
    assert io.create("t/0/started.json", DATA, durable=False) is False  # still exclusive
    assert len(fsyncs) == 1
    assert io.read("t/0/started.json") == DATA and io.ls("t/0") == ["DONE", "started.json"]


def test_writes_make_each_new_folder_once_and_remake_a_removed_one(tmp_path, monkeypatch) -> None:
    io = _local(tmp_path)
    io.write("warm/x", b"")  # the layer learns the folders above the task folders
    mkdirs = _counting(monkeypatch, "mkdir")
    io.create("flows/F/runs/1/steps/s/7/0/started.json", DATA, durable=False)
    made = len(mkdirs)
    assert made == 8  # flows, F, runs, 1, steps, s, 7, 0: one call each, nothing checked
    io.write("flows/F/runs/1/steps/s/7/0/record.json", DATA)
    io.create("flows/F/runs/1/steps/s/7/0/DONE", DATA)
    io.write("flows/F/runs/1/steps/s/8/0/record.json", DATA)
    assert len(mkdirs) == made + 2  # known folders cost nothing; task 8 costs two
    io.rmtree(io.full("flows/F/runs/1/steps"))  # removed behind the layer's back
    io.write("flows/F/runs/1/steps/s/8/0/record.json", DATA)
    assert io.create("flows/F/runs/1/steps/s/7/0/DONE", DATA) is True
    assert io.read("flows/F/runs/1/steps/s/7/0/DONE") == DATA


def test_creates_in_flight_are_each_fsynced_before_they_appear_and_all_in_place_at_exit(
    tmp_path, monkeypatch
) -> None:
    io = _local(tmp_path)
    order: list[tuple[str, str]] = []
    real_fsync, real_link = files_module.os.fsync, files_module.os.link

    def fsync(fd):
        order.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def link(src, dst):
        order.append(("link", src))
        return real_link(src, dst)

    monkeypatch.setattr(files_module.os, "fsync", fsync)
    monkeypatch.setattr(files_module.os, "link", link)
    rels = [f"steps/s/{i}/0/DONE" for i in range(20)]
    with io.commits_in_flight():
        for rel in rels:
            assert io.create(rel, DATA) is True
    assert all(io.read(rel) == DATA for rel in rels)
    for rel in rels:  # no temp file left, and every file was fsynced before its link
        assert io.ls(os.path.dirname(rel)) == ["DONE"]
    links = {src: i for i, (op, src) in enumerate(order) if op == "link"}
    fsyncs = {path: i for i, (op, path) in enumerate(order) if op == "fsync"}
    assert len(links) == len(rels) and set(links) == set(fsyncs)
    assert all(fsyncs[tmp] < links[tmp] for tmp in links)


def test_a_create_in_flight_that_finds_the_file_raises_at_exit_after_the_others(
    tmp_path,
) -> None:
    io = _local(tmp_path)
    assert io.create("t/1/0/DONE", b"first") is True
    with pytest.raises(StoreError, match="created concurrently"):
        with io.commits_in_flight():
            io.create("t/0/0/DONE", DATA)
            io.create("t/1/0/DONE", b"second")  # taken: refused, said at the exit
            io.create("t/2/0/DONE", DATA)
    assert io.read("t/1/0/DONE") == b"first"
    assert io.read("t/0/0/DONE") == DATA and io.read("t/2/0/DONE") == DATA
    assert io.ls("t/1/0") == ["DONE"]  # no temp file left
