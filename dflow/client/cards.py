"""``get_cards``: the cards a task's ``@card`` decorators rendered (Metaflow's API)."""

from __future__ import annotations

from dataclasses import dataclass

from dflow.errors import ObjectNotFoundError


@dataclass(frozen=True)
class Card:
    """One rendered card: ``.html`` (a whole page), ``.id``, ``.type``; shown inline in
    Jupyter."""

    pathspec: str
    id: str | None
    type: str
    html: str

    def view(self) -> str:
        """The card's HTML (what ``python flow.py card view`` opens)."""
        return self.html

    def _repr_html_(self) -> str:
        from html import escape

        return (
            f'<iframe sandbox="allow-scripts" srcdoc="{escape(self.html, quote=True)}" '
            'style="width:100%;height:480px;border:1px solid #dde"></iframe>'
        )


def get_cards(task, id: str | None = None, type: str | None = None) -> list[Card]:  # noqa: A002
    """The cards of ``task`` (a client Task or its pathspec ``Flow/run/step/task``),
    optionally only those with ``id`` or ``type``."""
    from dflow.client.tasks import Task

    if isinstance(task, str):
        task = Task(task)
    manifest = task._manifest()
    if manifest is None:
        raise ObjectNotFoundError(f"task {task.pathspec} has no committed attempt, so no cards")
    found = []
    for card in (manifest.meta or {}).get("cards") or []:
        if (id is not None and card.get("id") != id) or (type is not None and card["type"] != type):
            continue
        html = task.store.get_bytes(card["key"], name=f"card of {task.pathspec}")
        found.append(Card(task.pathspec, card.get("id"), card["type"], html.decode("utf-8")))
    return found
