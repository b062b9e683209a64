"""A run's code snapshot: ``run.code.path``, ``.flowspec``, ``.files()`` and ``.extract(dir)``.

The run record says where the snapshot was packed from (``code_root``, the folder on the
driver's machine, and ``host``), so each file of a snapshot names the user's own file it
is a copy of (:meth:`RunCode.files`).
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dflow.errors import DflowError, ObjectNotFoundError

#: The member of a snapshot that names its entry (flow) file; see dflow.store.snapshots.
META_MEMBER = ".dflow-code.json"


@dataclass(frozen=True)
class CodeFile:
    """One file of a code snapshot: its ``name`` inside the snapshot, its ``size`` in
    bytes and ``origin``, the path it was packed from on ``host`` (None when the run
    record does not say)."""

    name: str
    size: int
    origin: str | None
    host: str | None


class RunCode:
    """The code a run ran, as stored in its snapshot (a tar, keyed by content).

    ``path`` extracts it (once) into the code cache and returns the folder; ``flowspec``
    is the flow file's source; ``files()`` lists the files with where each came from
    (``source_root`` on ``source_host``); ``extract(dir)`` copies the files into ``dir``.
    """

    def __init__(
        self,
        store,
        key: str,
        run_pathspec: str,
        code_file: str | None = None,
        source_root: str | None = None,
        source_host: str | None = None,
    ):
        self._store = store
        self.key = key
        self._run = run_pathspec
        self._code_file = code_file
        self.source_root = source_root
        self.source_host = source_host
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

    def origin_of(self, name: str) -> str | None:
        """Where the snapshot's file ``name`` was packed from (``source_root/name``)."""
        if not self.source_root:
            return None
        return str(Path(self.source_root, *PurePosixPath(name).parts))

    def files(self) -> list[CodeFile]:
        """Every file of the snapshot (its own metadata member left out), sorted by name."""
        with self.tarball as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.name != META_MEMBER]
        return [
            CodeFile(m.name, m.size, self.origin_of(m.name), self.source_host)
            for m in sorted(members, key=lambda m: m.name)
        ]

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
