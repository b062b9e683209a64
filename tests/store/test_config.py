"""Store root and options resolution, missing backends and unreadable roots."""

from __future__ import annotations

import sys

import dask.config
import pytest
from fsspec.registry import _registry as fsspec_registry

from dflow.errors import BackendMissingError, ConfigError, StoreError
from dflow.store import open_store, resolve_store_url
from dflow.store.location import resolve_options


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("DFLOW_STORE", raising=False)
    monkeypatch.delenv("DFLOW_STORE_OPTIONS", raising=False)


def test_argument_beats_dask_config_set_which_beats_the_env(monkeypatch) -> None:
    monkeypatch.setenv("DFLOW_STORE", "memory://from-env")
    assert resolve_store_url() == "memory://from-env"
    with dask.config.set({"dflow.store.url": "memory://from-dask"}):
        assert resolve_store_url("memory://arg") == "memory://arg"
        assert resolve_store_url() == "memory://from-dask"
        monkeypatch.delenv("DFLOW_STORE")
        assert resolve_store_url() == "memory://from-dask"


def test_walks_up_to_the_nearest_dflow_folder(tmp_path) -> None:
    (tmp_path / ".dflow").mkdir()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert resolve_store_url(start=deep) == str((tmp_path / ".dflow").resolve())


def test_default_is_dflow_beside_start(tmp_path) -> None:
    assert resolve_store_url(start=tmp_path) == str(tmp_path.resolve() / ".dflow")


def test_local_urls_become_absolute_paths(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_store_url("rel/store") == str(tmp_path.resolve() / "rel" / "store")
    assert resolve_store_url(f"file://{tmp_path}/x") == str(tmp_path.resolve() / "x")
    assert resolve_store_url("s3://bucket/prefix/") == "s3://bucket/prefix"


def test_options_from_env_json_and_dask_config(monkeypatch) -> None:
    with dask.config.set({"dflow.store.options": {"anon": True}}):
        assert resolve_options(None) == {"anon": True}
        monkeypatch.setenv("DFLOW_STORE_OPTIONS", '{"endpoint_url": "http://127.0.0.1:1"}')
        assert resolve_options(None) == {"anon": True}  # code beats the environment
        assert resolve_options({"key": "k"}) == {"key": "k"}
    assert resolve_options(None) == {"endpoint_url": "http://127.0.0.1:1"}
    monkeypatch.setenv("DFLOW_STORE_OPTIONS", "{not json")
    with pytest.raises(ConfigError, match="DFLOW_STORE_OPTIONS"):
        resolve_options(None)
    monkeypatch.setenv("DFLOW_STORE_OPTIONS", "[1]")
    with pytest.raises(ConfigError, match="JSON object"):
        resolve_options(None)


def test_open_store_uses_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DFLOW_STORE", str(tmp_path / "s"))
    store = open_store()
    assert store.url == str(tmp_path / "s") and (tmp_path / "s").is_dir()


def test_unknown_protocol_is_a_clear_error() -> None:
    with pytest.raises(BackendMissingError, match="unknown store protocol 'nope'"):
        open_store("nope://bucket/x")


def test_missing_s3fs_names_the_package(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)  # import s3fs now raises ImportError
    monkeypatch.delitem(fsspec_registry, "s3", raising=False)
    with pytest.raises(BackendMissingError) as info:
        open_store("s3://bucket/x", {})
    assert "install s3fs to use s3:// stores: pip install 'dflow[s3]'" in str(info.value)


def test_missing_bucket_is_a_store_error(s3_server) -> None:
    with pytest.raises(StoreError, match="cannot open the store.*no-such-bucket"):
        open_store("s3://no-such-bucket/x", s3_server.options)


def test_unreadable_local_root_is_a_store_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store(str(blocker / "store"))
