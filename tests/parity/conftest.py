"""Fixtures of the Metaflow-parity suite: flows in tests/parity/flows run in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A fresh local store."""
    return str(tmp_path / "store")
