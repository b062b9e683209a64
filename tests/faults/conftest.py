"""Fixtures of the fault-injection suite: real processes, real damage.

tests/, tests/faults/ and tests/engine/ are importable (the zoo, faultkit, and the engine's
runkit: the SIGKILL tests reuse its killed-worker run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent, HERE.parent / "engine"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A fresh local store."""
    return str(tmp_path / "store")
