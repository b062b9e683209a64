"""Where per-task cards (Metaflow's ``@card``) enter the report and the dashboard page.

This module is the one hook both pages call:

- the run report (:mod:`dflow.report.page`) puts the fragments of each step's tasks in
  that step's section, under "Cards" (one ``<figure class="card">`` per card);
- the ``/dflow/run/<flow>/<run_id>`` dashboard page (:mod:`dflow.dashboard.pages`) reads
  them in an executor thread and shows them under its "Cards" heading.

:func:`task_cards` returns what a task's cards show as :class:`CardFragment` values
(title and a self-contained HTML page), read from the store: the pages the task's
``@card`` decorators rendered at commit (:mod:`dflow.engine.cards`).
"""

from __future__ import annotations

from dataclasses import dataclass

from dflow.store import Store, TaskAddress


@dataclass(frozen=True)
class CardFragment:
    """One card of one task: a title and an HTML fragment (inline, no remote fetches).

    The pages put ``html`` inside a sandboxed ``<iframe srcdoc>``, so a card's own
    styles and scripts stay apart from the page's.
    """

    step: str
    task_id: str
    title: str
    html: str


def task_cards(store: Store, address: TaskAddress) -> list[CardFragment]:
    """The cards of one task: what its committed manifest lists under ``cards``."""
    manifest = store.latest_commit(address)
    found = []
    for card in ((manifest.meta or {}).get("cards") or []) if manifest is not None else []:
        html = store.get_bytes(card["key"], name=f"card of {address.pathspec}")
        title = card["type"] + (f" · {card['id']}" if card.get("id") else "")
        found.append(CardFragment(address.step, address.task_id, title, html.decode("utf-8")))
    return found


def run_cards(
    store: Store, flow: str, run_id: str, steps: dict[str, list[str]]
) -> list[CardFragment]:
    """The cards of the tasks in ``steps`` (step -> task ids) of run ``flow/run_id``."""
    found: list[CardFragment] = []
    for step, task_ids in steps.items():
        for task_id in task_ids:
            found.extend(task_cards(store, TaskAddress(flow, run_id, step, task_id)))
    return found


def render_cards(cards: list[CardFragment]) -> str:
    """The HTML of a list of cards (empty when there are none)."""
    from html import escape

    return "".join(
        f'<figure class="card" data-step="{escape(c.step)}" data-task="{escape(c.task_id)}">'
        f"<figcaption>{escape(c.step)}/{escape(c.task_id)} · {escape(c.title)}</figcaption>"
        f'<iframe sandbox="allow-scripts" srcdoc="{escape(c.html, quote=True)}" '
        'style="width:100%;height:420px;border:1px solid #dde"></iframe></figure>'
        for c in cards
    )
