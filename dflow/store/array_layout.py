"""The names of the array layout on disk, apart from the code that reads and writes it
(:mod:`dflow.store.array_files`, which imports zarr): the store and its readers use them
without importing zarr, which a run's driver never needs unless a value is an array."""

from __future__ import annotations

#: The layout of arrays and tables in the store (in each completion marker).
LAYOUT_VERSION = 1
#: An array's completion marker, written last: the array exists once it does.
ARRAY_MARKER = "dflow-complete.json"
