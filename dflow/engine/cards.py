"""Cards inside a running task: ``current.card`` collects components, and at commit each
of the step's ``@card`` decorators becomes one self-contained HTML page in the store.

A page is stored once by its content key (``Store.put_bytes``); the task's manifest lists
them under ``meta["cards"]`` as ``{"id", "type", "key"}``, which the report, the
dashboard page, ``get_cards`` and ``python flow.py card`` read. ``current.card.refresh()``
renders the pages while the step runs (at most once a second) and tells the scheduler
their keys: the /dflow page shows these live cards until the task commits. A ``default`` card shows
the task, the components and the artifacts the step set; a ``blank`` card only the
components. Nothing in a page is fetched from the network.
"""

from __future__ import annotations

import reprlib
import time
import warnings
from collections.abc import Callable
from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px} .sub{color:#667;font-size:12px;margin-bottom:12px}
table.dflow-table{border-collapse:collapse;margin:8px 0;font-size:13px}
table.dflow-table td,table.dflow-table th{border:1px solid #dde;padding:3px 8px;text-align:left}
table.dflow-table th{background:#f4f5f8} pre{background:#f7f7f9;padding:6px;overflow:auto}
.dflow-image img{max-width:100%} .note{color:#667;font-size:12px}
section{margin:10px 0}
"""


def short_repr(**limits: int) -> reprlib.Repr:
    """A reprlib.Repr with these limits (its keyword form needs Python 3.12)."""
    shown = reprlib.Repr()
    for name, value in limits.items():
        setattr(shown, name, value)
    return shown


class CardCollector:
    """``current.card``: ``append``, ``extend``, ``clear``, ``refresh``, ``components``,
    and ``current.card["id"]`` for the card with that id (Metaflow's API).

    Components appended without an id go to the step's card that has no id (or its only
    card). A step without ``@card`` keeps nothing and warns once.
    """

    #: Seconds between two live renders (Metaflow also limits how often a card refreshes).
    MIN_REFRESH_INTERVAL = 1.0

    def __init__(
        self,
        cards: list[dict],
        step: str,
        *,
        card_id: str | None = None,
        on_refresh: Callable[[list[dict]], None] | None = None,
        _last: list[float] | None = None,
    ) -> None:
        self._cards = cards  # [{"id", "type", "components": [...]}] of the step
        self._step = step
        self._id = card_id
        self._warned = False
        self._on_refresh = on_refresh  # renders and publishes the live pages
        self._last = _last if _last is not None else [0.0]  # shared by current.card[id]

    def _target(self) -> dict | None:
        if self._id is not None:
            return next((c for c in self._cards if c["id"] == self._id), None)
        unnamed = [c for c in self._cards if c["id"] is None]
        if unnamed:
            return unnamed[0]
        return self._cards[0] if len(self._cards) == 1 else None

    def _components(self) -> list | None:
        target = self._target()
        if target is None:
            if not self._warned:
                self._warned = True
                which = f"@card(id={self._id!r})" if self._id else "@card"
                warnings.warn(
                    f"current.card: step {self._step!r} has no {which}; the component is "
                    "dropped (add @card above @step)",
                    stacklevel=3,
                )
            return None
        return target["components"]

    def __getitem__(self, card_id: str) -> CardCollector:
        return CardCollector(
            self._cards, self._step, card_id=card_id, on_refresh=self._on_refresh, _last=self._last
        )

    def append(self, component: Any, id: str | None = None) -> None:  # noqa: A002
        """Add a component (or any value, shown as its repr) to the card."""
        found = self._components()
        if found is not None:
            if id is not None:
                component.component_id = id
            found.append(component)

    def extend(self, components: list) -> None:
        """Add several components."""
        for component in components:
            self.append(component)

    def clear(self) -> None:
        """Remove every component of the card."""
        found = self._components()
        if found is not None:
            found.clear()

    @property
    def components(self) -> dict[str, Any]:
        """The card's components that were given an ``id``, by id."""
        found = self._components() or []
        return {c.component_id: c for c in found if getattr(c, "component_id", None)}

    def refresh(self, *args: Any, force: bool = False, **kwargs: Any) -> None:
        """Render the step's cards now, as they stand, for the /dflow page to show while
        the step runs (a live card, as in Metaflow). At most once a second (``force=True``
        renders anyway); the card committed with the task is rendered again at its end.
        A refresh never fails the step: a failed render warns."""
        if self._on_refresh is None or not self._cards:
            return
        now = time.monotonic()
        if not force and now - self._last[0] < self.MIN_REFRESH_INTERVAL:
            return
        self._last[0] = now
        try:
            self._on_refresh(self._cards)
        except Exception as exc:  # noqa: BLE001 - a live card is best effort
            warnings.warn(f"current.card.refresh(): {exc}", stacklevel=2)


def step_cards(node) -> list[dict]:
    """The @card decorators of a step as empty cards: ``[{"id", "type", "components"}]``."""
    cards = []
    for spec in node.decorators:
        if spec.name == "card":
            options = dict(spec.options)
            cards.append({"id": options.get("id"), "type": options.get("type"), "components": []})
    return cards


def _render_component(component: Any) -> str:
    render = getattr(component, "render", None)
    if callable(render):
        try:
            return str(render())
        except Exception as exc:  # a broken component is shown, not fatal to the task
            return f'<p class="note">component failed to render: {escape(repr(exc))}</p>'
    return f"<pre>{escape(reprlib.repr(component))}</pre>"


def render_page(card: dict, pathspec: str, written: dict[str, Any]) -> str:
    """One card as a whole HTML document."""
    parts = [_render_component(c) for c in card["components"]]
    if card["type"] == "default":
        shown = short_repr(maxstring=120, maxother=120, maxlist=8, maxdict=8)
        rows = "".join(
            f"<tr><td>{escape(name)}</td><td>{escape(type(value).__name__)}</td>"
            f"<td><code>{escape(shown.repr(value))}</code></td></tr>"
            for name, value in sorted(written.items())
        )
        parts.append(
            '<section><h2 style="font-size:15px">Artifacts</h2><table class="dflow-table">'
            f"<thead><tr><th>name</th><th>type</th><th>value</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>"
        )
    body = "".join(f"<section>{p}</section>" for p in parts)
    title = escape(pathspec)
    kind = escape(str(card["type"])) + (f" · id {escape(card['id'])}" if card["id"] else "")
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_STYLE}</style></head><body>"
        f'<h1>{title}</h1><div class="sub">card: {kind}</div>{body}</body></html>'
    )


def save_cards(store, cards: list[dict], pathspec: str, written: dict[str, Any]) -> list[dict]:
    """Render and store each card; what the manifest lists (``id``, ``type``, ``key``)."""
    saved = []
    for card in cards:
        html = render_page(card, pathspec, written)
        key = store.put_bytes(html.encode("utf-8"))
        saved.append({"id": card["id"], "type": card["type"], "key": key})
    return saved
