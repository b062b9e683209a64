"""Card components (Metaflow's ``metaflow.cards``): each renders itself as an HTML
fragment that needs nothing from the network.

``Markdown``, ``Table``, ``Image``, ``Artifact``, ``VegaChart`` and ``ProgressBar`` take
Metaflow's arguments. A VegaChart shows its spec as JSON with a note: no Vega library is
vendored, so nothing is fetched to draw it.
"""

from __future__ import annotations

import base64
import json
import reprlib
from html import escape
from typing import Any

from dflow.engine.cards import short_repr


class MetaflowCardComponent:
    """Base of every card component: ``render()`` returns an HTML fragment."""

    #: set by @card's ``id`` machinery when the component is replaced in place
    component_id: str | None = None

    def render(self) -> str:  # pragma: no cover - every component overrides it
        """The component as an HTML fragment."""
        raise NotImplementedError

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Change the component's content (shown when the card is next rendered)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be updated")


def _fragment(value: Any) -> str:
    """A component, or any value, as an HTML fragment (values as their short repr)."""
    if isinstance(value, MetaflowCardComponent):
        return value.render()
    if isinstance(value, str):
        return escape(value)
    return f"<code>{escape(reprlib.repr(value))}</code>"


class Markdown(MetaflowCardComponent):
    """Markdown text: ``Markdown("# Title\\n*emphasis*")`` (raw HTML in it is escaped)."""

    def __init__(self, text: str | None = None) -> None:
        self.text = text or ""

    def update(self, text: str | None = None) -> None:  # noqa: D102
        self.text = text or ""

    def render(self) -> str:  # noqa: D102
        from markdown_it import MarkdownIt

        html = MarkdownIt("commonmark", {"html": False}).enable("table").render(self.text)
        return f'<div class="dflow-md">{html}</div>'


class Artifact(MetaflowCardComponent):
    """A value shown as its (shortened) repr: ``Artifact(self.model, name="model")``."""

    def __init__(self, artifact: Any, name: str | None = None, compressed: bool = True) -> None:
        self.artifact = artifact
        self.name = name
        self.compressed = compressed

    def update(self, artifact: Any) -> None:  # noqa: D102
        self.artifact = artifact

    def render(self) -> str:  # noqa: D102
        shown = short_repr(maxstring=400, maxother=400, maxlist=20, maxdict=20)
        text = shown.repr(self.artifact) if self.compressed else repr(self.artifact)
        title = f"<b>{escape(self.name)}</b> " if self.name else ""
        kind = escape(type(self.artifact).__name__)
        return f'<div class="dflow-artifact">{title}<i>{kind}</i><pre>{escape(text)}</pre></div>'


class Table(MetaflowCardComponent):
    """A table: ``Table([[1, 2], [3, 4]], headers=["a", "b"])``; cells may be components."""

    def __init__(
        self, data: list[list[Any]] | None = None, headers: list[str] | None = None
    ) -> None:
        self.data = [list(row) for row in (data or [])]
        self.headers = list(headers or [])

    @classmethod
    def from_dataframe(cls, dataframe: Any, truncate: bool = True) -> Table:
        """A table of a pandas DataFrame (its first 100 rows when ``truncate``)."""
        frame = dataframe.head(100) if truncate else dataframe
        return cls(frame.values.tolist(), [str(c) for c in frame.columns])

    def update(self, data: list[list[Any]]) -> None:  # noqa: D102
        self.data = [list(row) for row in data]

    def render(self) -> str:  # noqa: D102
        head = "".join(f"<th>{escape(str(h))}</th>" for h in self.headers)
        rows = "".join(
            "<tr>" + "".join(f"<td>{_fragment(cell)}</td>" for cell in row) + "</tr>"
            for row in self.data
        )
        thead = f"<thead><tr>{head}</tr></thead>" if head else ""
        return f'<table class="dflow-table">{thead}<tbody>{rows}</tbody></table>'


class Image(MetaflowCardComponent):
    """An image from bytes (PNG, JPEG, GIF, SVG...): ``Image(png_bytes, label="loss")``;
    ``Image.from_matplotlib(fig)`` and ``Image.from_pil_image(img)`` too."""

    def __init__(self, src: bytes | None = None, label: str | None = None) -> None:
        if src is not None and not isinstance(src, (bytes, bytearray)):
            raise TypeError(f"Image takes the image's bytes, got {type(src).__name__}")
        self.src = bytes(src) if src is not None else b""
        self.label = label

    @classmethod
    def from_matplotlib(cls, plot: Any, label: str | None = None) -> Image:
        """A PNG of a matplotlib figure (or of the figure of an axes)."""
        import io

        figure = getattr(plot, "figure", None) or plot
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        return cls(buffer.getvalue(), label)

    @classmethod
    def from_pil_image(cls, pilimage: Any, label: str | None = None) -> Image:
        """A PNG of a PIL image."""
        import io

        buffer = io.BytesIO()
        pilimage.save(buffer, format="PNG")
        return cls(buffer.getvalue(), label)

    def update(self, image: bytes, label: str | None = None) -> None:  # noqa: D102
        self.src = bytes(image)
        self.label = label if label is not None else self.label

    def _mime(self) -> str:
        head = self.src[:12]
        if head.startswith(b"\x89PNG"):
            return "image/png"
        if head.startswith(b"\xff\xd8"):
            return "image/jpeg"
        if head.startswith(b"GIF8"):
            return "image/gif"
        if head.lstrip().startswith(b"<"):
            return "image/svg+xml"
        return "application/octet-stream"

    def render(self) -> str:  # noqa: D102
        data = base64.b64encode(self.src).decode("ascii")
        label = escape(self.label or "")
        caption = f"<figcaption>{label}</figcaption>" if label else ""
        return (
            f'<figure class="dflow-image"><img alt="{label}" '
            f'src="data:{self._mime()};base64,{data}">{caption}</figure>'
        )


class VegaChart(MetaflowCardComponent):
    """A Vega / Vega-Lite chart from its spec: ``VegaChart(spec)``;
    ``VegaChart.from_altair_chart(chart)``. Shown as its JSON spec (offline)."""

    def __init__(self, spec: dict, show_controls: bool = False) -> None:
        self.spec = dict(spec)
        self.show_controls = show_controls

    @classmethod
    def from_altair_chart(cls, altair_chart: Any) -> VegaChart:
        """The chart of an Altair chart object."""
        return cls(altair_chart.to_dict())

    def update(self, spec: dict | None = None) -> None:  # noqa: D102
        if spec is not None:
            self.spec = dict(spec)

    def render(self) -> str:  # noqa: D102
        text = json.dumps(self.spec, indent=1, default=str)
        return (
            '<div class="dflow-vega"><p class="note">Vega-Lite chart (no offline Vega '
            "library is bundled: its spec is shown; paste it into any Vega viewer)</p>"
            f"<pre>{escape(text)}</pre></div>"
        )


class ProgressBar(MetaflowCardComponent):
    """A progress bar: ``ProgressBar(max=100, label="epochs", value=0, unit="epoch")``;
    ``bar.update(42)`` then ``current.card.refresh()``."""

    def __init__(
        self,
        max: int | float = 100,  # noqa: A002
        label: str | None = None,
        value: int | float = 0,
        unit: str | None = None,
        metadata: str | None = None,
    ) -> None:
        self.max = max
        self.label = label
        self.value = value
        self.unit = unit
        self.metadata = metadata

    def update(self, new_value: int | float, metadata: str | None = None) -> None:  # noqa: D102
        self.value = new_value
        if metadata is not None:
            self.metadata = metadata

    def render(self) -> str:  # noqa: D102
        unit = f" {escape(self.unit)}" if self.unit else ""
        label = f"{escape(self.label)}: " if self.label else ""
        extra = f" · {escape(self.metadata)}" if self.metadata else ""
        return (
            f'<div class="dflow-progress">{label}<progress max="{self.max}" '
            f'value="{self.value}"></progress> {self.value}/{self.max}{unit}{extra}</div>'
        )
