"""A run's code snapshot: ``run.code.path``, ``.flowspec`` and ``.extract(dir)``."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

from dflow.errors import DflowError, ObjectNotFoundError

#: The member of a snapshot that names its entry (flow) file; see dflow.store.snapshots.
META_MEMBER = ".dflow-code.json"


class RunCode:
    """The code a run ran, as stored in its snapshot (a tar, keyed by content).

    ``path`` extracts it (once) into the code cache and returns the folder; ``flowspec``
    is the flow file's source; ``extract(dir)`` copies the files into ``dir``.
    """

    def __init__(self, store, key: str, run_pathspec: str, code_file: str | None = None):
        self._store = store
        self.key = key
        self._run = run_pathspec
        self._code_file = code_file
        self._info: dict | None = None

    def __repr__(self) -> str:
        return f"<code of {self._run} (snapshot {self.key})>"

    @property
    def tarball(self) -> tarfile.TarFile:
        """The snapshot as an open (in-memory) tar file."""
        data = self._store.get_bytes(self.key, name=f"code snapshot of {self._run}")
        return tarfile.open(fileobj=io.BytesIO(data), mode="r:")

    @property
    def path(self) -> Path:
        """The folder the snapshot is extracted into (the code cache, extracted once)."""
        return self._store.extract_code(self.key)

    @property
    def info(self) -> dict:
        """The snapshot's own metadata: ``{"layout": 1, "entry": "<flow file>"}``."""
        if self._info is None:
            meta = self.path / META_MEMBER
            self._info = json.loads(meta.read_text()) if meta.is_file() else {}
        return self._info

    @property
    def script_name(self) -> str | None:
        """The flow file's path inside the snapshot (e.g. ``"train.py"``)."""
        return self.info.get("entry") or self._code_file

    @property
    def flowspec(self) -> str:
        """The source text of the flow file the run ran."""
        name = self.script_name
        if not name or not (self.path / name).is_file():
            raise ObjectNotFoundError(
                f"the code snapshot of {self._run} does not name its flow file",
                hint=f"look in {self.path}",
            )
        return (self.path / name).read_text()

    def extract(self, target: str | Path, *, force: bool = False) -> Path:
        """Copy the snapshot's files into folder ``target`` (created); return it.

        ``target`` must not be a file; an existing folder must be empty unless ``force``
        (then files of the same name are overwritten, others are left alone).
        """
        target = Path(target)
        if target.exists() and not target.is_dir():
            raise DflowError(
                f"cannot extract the code of {self._run} into {target}: it is a file",
                hint="name a folder (it is created when absent)",
            )
        if target.is_dir() and any(target.iterdir()) and not force:
            raise DflowError(
                f"cannot extract the code of {self._run} into {target}: the folder is not "
                "empty, and its files could be overwritten",
                hint="name an empty or new folder, or pass --force (force=True) to overwrite",
            )
        try:
            shutil.copytree(self.path, target, dirs_exist_ok=True)
        except OSError as exc:
            raise DflowError(
                f"cannot extract the code of {self._run} into {target}: {exc}"
            ) from None
        return target
