"""The one preview of an artifact value (dflow.client.preview), shown by ``dflow dump`` and
run reports: capped, never unpickling, a frame's head, an array's shape, nothing large read,
and an artifact that cannot be read marked instead of ending the listing."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd

from dflow.client.preview import MAX_PREVIEW_CHARS, preview_value
from dflow.store import open_store
from dflow.store.keys import shard


def test_previews_show_a_frames_head_and_describe_collections_unread(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    df = pd.DataFrame({"name": ["ada", "bob", "cy", "dee"], "n": [1, 2, 3, 4]})
    text = preview_value(store, store.save(df))
    assert text.startswith("frame 4 rows x 2 columns: name str, n int64; head:")
    assert "ada" in text and "dee" not in text
    ref = store.save(da.from_array(np.zeros((100, 10)), chunks=(25, 10)))
    ddf_ref = store.save(dd.from_pandas(df, npartitions=2))
    for folder in (tmp_path / "s" / "arrays" / shard(ref.key), tmp_path / "s" / "tables"):
        for p in folder.rglob("*"):
            if p.is_file() and "dflow-complete" not in p.name:
                p.write_bytes(b"damaged: a preview must not read this")
    assert preview_value(store, ref) == "array (100, 10) float64, chunks (25, 10)"
    text = preview_value(store, ddf_ref)
    assert text == "frame 4 rows in 2 partitions x 2 columns: name string, n int64"


class Opaque:
    """A value only pickle can store."""


def test_previews_are_capped_and_never_unpickle(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "store"))
    big = store.save(np.arange(2_000_000, dtype="float64").reshape(1_000_000, 2))
    assert big.encoding == "zarr"
    text = preview_value(store, big)
    assert text.startswith("array shape=(1000000, 2) dtype=float64") and "0." in text
    assert len(text) <= MAX_PREVIEW_CHARS
    narrow = preview_value(store, big, width=30)
    assert len(narrow) == 30 and narrow.endswith("…") and text.startswith(narrow[:-1])

    pickled = store.save(Opaque())
    assert pickled.encoding == "pickle"
    untrusted = open_store(str(tmp_path / "store"), trusted=False)
    assert preview_value(untrusted, pickled) == (
        f"<pickle of {pickled.type_name}, {pickled.size} bytes: not loaded (untrusted store)>"
    )
    assert preview_value(store, pickled) == f"<pickle of {pickled.type_name}, {pickled.size} bytes>"

    long_list = store.save(list(range(100_000)))
    assert "too large to preview" in preview_value(store, long_list)
    assert preview_value(store, store.save({"a": 1, "b": [1, 2]})) == "{'a': 1, 'b': [1, 2]}"


def test_an_artifact_that_cannot_be_read_is_marked(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    ref = store.save({"a": list(range(10))})
    blob = tmp_path / "s" / "objects" / ref.key[:2] / ref.key[2:]
    blob.write_bytes(blob.read_bytes()[:-3])  # truncated
    text = preview_value(store, ref, "x")
    assert text.startswith("<not loaded: ") and "corrupt" in text and text.endswith(">")
