"""What every client object shares: pathspec, id, parent, context, repr and lookup errors."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from dflow.client.context import DEFAULT_CONTEXT, ClientContext
from dflow.client.htmlview import object_html
from dflow.errors import ObjectNotFoundError, StoreError
from dflow.store.refs import check_name


class UnknownKeyError(ObjectNotFoundError, KeyError):
    """``obj["name"]`` named no such child (an ObjectNotFoundError and a KeyError)."""


class UnknownAttributeError(ObjectNotFoundError, AttributeError):
    """``task.data.name`` named no such artifact (an ObjectNotFoundError and AttributeError)."""


#: The parts of a pathspec, outermost first.
PATHSPEC_PARTS = ("Flow", "run_id", "step", "task_id", "artifact")


def split_pathspec(pathspec: str, parts: int | None = None, kind: str = "") -> list[str]:
    """The one pathspec parser (client, CLI and report): ``"Flow/run/step"`` -> its parts.

    ``parts`` asks for exactly that many (a ``kind`` pathspec); None allows one to five.
    Anything else is an ObjectNotFoundError naming the expected shape.

    >>> split_pathspec("/TrainFlow/1700000000000000/fit/", 3, "step")
    ['TrainFlow', '1700000000000000', 'fit']
    """
    pieces = str(pathspec).strip("/").split("/")
    fits = len(pieces) == parts if parts else len(pieces) <= len(PATHSPEC_PARTS)
    if not fits or not all(pieces):
        any_shape = "Flow[/run_id[/step[/task_id[/artifact]]]]"
        shape = "/".join(PATHSPEC_PARTS[:parts]) if parts else any_shape
        what = f"{kind} pathspec" if kind else "pathspec"
        raise ObjectNotFoundError(f"{pathspec!r} is not a {what} (expected {shape})")
    return pieces


def checked_name(kind: str, value: str, *, where: str = "") -> str:
    """``value`` if it can name a ``kind`` in the store, else ObjectNotFoundError."""
    try:
        return check_name(kind, value)
    except StoreError:
        raise ObjectNotFoundError(
            f"there is no {kind} named {value!r}{where}: that is not a valid {kind} name"
        ) from None


def to_datetime(stamp: float | None) -> datetime | None:
    """A POSIX timestamp as a naive local datetime, as Metaflow's client gives (None
    stays None)."""
    if stamp is None:
        return None
    return datetime.fromtimestamp(float(stamp))


def task_id_key(task_id: str) -> tuple:
    """Sort key of a task id: ``"2" < "10"``, ``"3.1" < "3.10"``, and the passes of a loop
    in order (``"0_2" < "0_10"``).

    >>> sorted(["0_10", "0_2", "0_0"], key=task_id_key)
    ['0_0', '0_2', '0_10']
    """
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[._]", task_id))


class DflowObject:
    """Base of Metaflow, Flow, Run, Step, Task and DataArtifact.

    Every object has a ``pathspec`` (``Flow/run_id/step/task_id[/artifact]``), an ``id``
    (the last part), a ``parent`` and ``created_at``, a readable ``repr`` and a small
    HTML view for Jupyter.

    Children are built with their parent object. An object built from a pathspec alone
    (``Step("F/1/fit")``) builds its parent generically, by kind (``_parent_kind``), as
    Metaflow's client does: so Run, Step, Task and DataArtifact never import one another
    in a circle (a parent module imports its children's; never the other way).
    """

    _kind = "object"
    #: the ``_kind`` of the object one level up (None at the top)
    _parent_kind: str | None = None
    #: every kind's class, filled as the classes are defined
    _classes: ClassVar[dict[str, type[DflowObject]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_kind" in cls.__dict__:
            DflowObject._classes[cls._kind] = cls

    def __init__(self, pathspec: str, context: ClientContext | None = None) -> None:
        self._pathspec = pathspec
        self._context = context or DEFAULT_CONTEXT

    @property
    def pathspec(self) -> str:
        """The object's path, e.g. ``"TrainFlow/1700000000000000/fit/3"``."""
        return self._pathspec

    @property
    def path_components(self) -> list[str]:
        """The pathspec split at ``/``."""
        return self._pathspec.split("/")

    @property
    def id(self) -> str:
        """The last component of the pathspec (flow name, run id, step name, ...)."""
        return self.path_components[-1]

    @property
    def parent(self) -> DflowObject | None:
        """The object one level up (None for a Flow)."""
        raise NotImplementedError

    def _parent_from_pathspec(self, **kwargs: Any) -> DflowObject:
        """The parent of an object built from its pathspec alone (``kwargs`` go to the
        parent's class)."""
        parent_cls = DflowObject._classes[str(self._parent_kind)]
        return parent_cls(self._pathspec.rsplit("/", 1)[0], self._context, **kwargs)

    @property
    def created_at(self) -> datetime | None:
        """When the object was created (an aware datetime), or None if unknown."""
        raise NotImplementedError

    @property
    def store(self):
        """The :class:`~dflow.store.Store` this object reads."""
        return self._context.store

    def _summary(self) -> dict[str, Any]:
        """A few key/value pairs for ``repr`` and the HTML view."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self._pathspec}')"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.pathspec == self.pathspec  # type: ignore

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._pathspec))

    def _html_extra(self) -> str:
        """More of the notebook view after the summary table (artifacts, steps, ...)."""
        return ""

    def _repr_html_(self) -> str:
        return object_html(type(self).__name__, self._pathspec, self._summary(), self._html_extra())
