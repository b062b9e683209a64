"""Cards (Metaflow's ``metaflow.cards``): components to put on a task's card with
``current.card.append(...)``, and :func:`get_cards` to read the cards back::

    from dflow import FlowSpec, card, current, step
    from dflow.cards import Markdown, Table

    @card
    @step
    def start(self):
        current.card.append(Markdown("# Scores"))
        current.card.append(Table([[1, 0.9]], headers=["fold", "score"]))
        ...

Cards are rendered when the task commits, stored in the run's store, and shown by
``dflow report``, the ``/dflow`` dashboard page and ``python flow.py card view STEP``.
"""

from __future__ import annotations

from dflow.cards.components import (
    Artifact,
    Image,
    Markdown,
    MetaflowCardComponent,
    ProgressBar,
    Table,
    VegaChart,
)
from dflow.client.cards import Card, get_cards

__all__ = [
    "Artifact",
    "Card",
    "Image",
    "Markdown",
    "MetaflowCardComponent",
    "ProgressBar",
    "Table",
    "VegaChart",
    "get_cards",
]
