"""A flow with cards of every component kind (Metaflow's card API)."""

from dflow import FlowSpec, card, current, step
from dflow.cards import Artifact, Image, Markdown, ProgressBar, Table, VegaChart

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
    b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


class CardFlow(FlowSpec):
    @card
    @step
    def start(self):
        self.score = 0.93
        current.card.append(Markdown("# Model report\n\nScore is **high**"))
        current.card.append(Table([[1, 0.9], [2, Markdown("*0.95*")]], headers=["fold", "score"]))
        current.card.append(Image(PNG, label="a pixel"))
        current.card.append(Artifact({"depth": 3}, name="params"))
        current.card.append(VegaChart({"mark": "bar", "data": {"values": [{"a": 1}]}}))
        bar = ProgressBar(max=10, label="epochs")
        current.card.append(bar, id="bar")
        current.card.components["bar"].update(7)
        current.card.refresh()
        self.next(self.plain)

    @step
    def plain(self):
        current.card.append(Markdown("dropped: this step has no @card"))
        self.next(self.end)

    @card(type="blank", id="summary")
    @step
    def end(self):
        current.card["summary"].append(Markdown("## Done <script>alert(1)</script>"))
        current.card.append(Markdown("the only card of a step takes unnamed appends"))


if __name__ == "__main__":
    CardFlow()
