"""Report previews of frames and dask collections: a frame's head, an array's shape, and
nothing large read."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd

from dflow.report.preview import preview_value
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
