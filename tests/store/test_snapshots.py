"""Code snapshots: deterministic packing, what is skipped, safe concurrent extraction."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from dflow.errors import StoreError
from dflow.store import open_store


def _tree(root: Path, mtime: int) -> Path:
    files = {
        "flow.py": "print('hi')\n",
        "pkg/__init__.py": "",
        "pkg/conf.yaml": "a: 1\n",
        "pkg/data.json": "{}",
        "pkg/__pycache__/x.cpython-311.pyc": "junk",
        ".git/config": "x",
        ".dflow/objects/zz": "x",
        ".venv/lib/site.py": "x",
        "venvlike/pyvenv.cfg": "home = /usr",
        "venvlike/lib.py": "x",
        ".hidden/secret.py": "x",
        "big.txt": "x" * (2 << 20),
        "image.png": "binary",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (mtime, mtime))
    return root


@pytest.fixture
def store():
    return open_store("memory://snapshot-tests")


def test_same_content_gives_the_same_key(tmp_path, store) -> None:
    a = _tree(tmp_path / "a", 1_000_000)
    b = _tree(tmp_path / "b", 2_000_000)
    os.chmod(b / "flow.py", 0o755)
    assert store.save_code(a, a / "flow.py") == store.save_code(b, b / "flow.py")
    key = store.save_code(a)
    (a / "pkg" / "conf.yaml").write_text("a: 2\n")
    assert store.save_code(a) != key


def test_extract_holds_only_code_files(tmp_path, store) -> None:
    root = _tree(tmp_path / "src", 0)
    key = store.save_code(root, root / "flow.py")
    out = store.extract_code(key, tmp_path / "cache")
    assert out == tmp_path / "cache" / key
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [
        ".dflow-code.json",
        "flow.py",
        "pkg/__init__.py",
        "pkg/conf.yaml",
        "pkg/data.json",
    ]
    assert (out / "flow.py").read_text() == "print('hi')\n"
    assert '"entry": "flow.py"' in (out / ".dflow-code.json").read_text()


def test_concurrent_extractors_are_safe(tmp_path, store) -> None:
    root = _tree(tmp_path / "src", 0)
    key = store.save_code(root)
    cache = tmp_path / "cache"
    results, errors = [], []

    def extract():
        try:
            results.append(store.extract_code(key, cache))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=extract) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and set(results) == {cache / key}
    assert sorted(p.name for p in cache.iterdir()) == [key]  # no temp folders left


def test_default_cache_dir_from_config(tmp_path, store, monkeypatch) -> None:
    monkeypatch.setenv("DFLOW_CODE_CACHE", str(tmp_path / "cc"))
    key = store.save_code(_tree(tmp_path / "src", 0))
    assert store.extract_code(key) == tmp_path / "cc" / key


def test_entry_outside_root_is_refused(tmp_path, store) -> None:
    root = _tree(tmp_path / "src", 0)
    (tmp_path / "other.py").write_text("")
    with pytest.raises(StoreError, match="not under"):
        store.save_code(root, tmp_path / "other.py")


def test_a_folder_far_too_big_for_a_project_is_refused(tmp_path, monkeypatch):
    from dflow.store import snapshots

    monkeypatch.setattr(snapshots, "MAX_FILES", 3)
    for i in range(5):
        (tmp_path / f"m{i}.py").write_text("x = 1\n")
    with pytest.raises(StoreError, match="more than 3 code files") as info:
        snapshots.code_files(tmp_path)
    assert "folder of its own" in str(info.value)


def test_a_store_kept_inside_the_project_is_not_packed_as_code(tmp_path):
    import tarfile
    from io import BytesIO

    (tmp_path / "flow.py").write_text("x = 1\n")
    store = open_store(str(tmp_path / "store"))  # not named .dflow: only its root says so
    store.write_run_record("F", "1", {"status": "running"})
    key = store.save_code(tmp_path, tmp_path / "flow.py")
    names = tarfile.open(fileobj=BytesIO(store.get_bytes(key))).getnames()
    assert "flow.py" in names
    assert not any(n.startswith("store/") for n in names), names
