"""@card, current.card and dflow.cards as Metaflow documents them: components rendered
offline, stored per task, read with get_cards, `card view|get`, and shown in the report
(checked in headless chromium)."""

from __future__ import annotations

import warnings

import pytest
from click.testing import CliRunner

from dflow.cards import get_cards
from dflow.cli.flow_cli import build_flow_cli
from dflow.flowfile import load_flow

FLOWS = __file__.rsplit("/", 1)[0] + "/flows"


@pytest.fixture(scope="module")
def card_run(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("cards") / "store")
    cls = load_flow(f"{FLOWS}/cards.py:CardFlow")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cls.run(store=store, scheduler="sync", quiet=True)
    assert result.successful, result.error
    assert sum("has no @card" in str(w.message) for w in caught) == 1
    return store, result, cls


def test_default_card_has_every_component_and_the_artifacts(card_run):
    _, result, _ = card_run
    (found,) = get_cards(result.run["start"].task)
    html = found.html
    assert found.type == "default" and found.id is None
    assert "<h1>Model report</h1>" in html and "<strong>high</strong>" in html
    assert "<th>fold</th>" in html and "<em>0.95</em>" in html
    assert 'src="data:image/png;base64,' in html and "a pixel" in html
    assert "params" in html and "&#x27;depth&#x27;: 3" in html
    assert "Vega-Lite chart" in html and "&quot;mark&quot;: &quot;bar&quot;" in html
    assert 'value="7"' in html and "7/10" in html  # the update before the commit
    assert "Artifacts" in html and "score" in html and "0.93" in html
    assert "http://" not in html and "https://" not in html  # nothing fetched


def test_blank_card_by_id_escapes_raw_html(card_run):
    _, result, _ = card_run
    task = result.run["end"].task
    (found,) = get_cards(task, id="summary")
    assert found.type == "blank" and "<h2>Done" in found.html
    assert "<script>" not in found.html and "Artifacts" not in found.html
    assert "the only card of a step takes unnamed appends" in found.html
    assert get_cards(result.run["plain"].task) == []
    assert get_cards(task, id="other") == []


def test_card_get_and_view(card_run, tmp_path):
    store, result, cls = card_run
    runner = CliRunner()
    cli = build_flow_cli(cls)
    out = runner.invoke(cli, ["card", "get", "start", "--store", store])
    assert out.exit_code == 0, out.output
    assert "Model report" in out.output
    target = tmp_path / "end.html"
    out = runner.invoke(cli, ["card", "get", f"{result.run_id}/end", str(target), "--store", store])
    assert out.exit_code == 0, out.output
    assert "Done" in target.read_text()
    out = runner.invoke(cli, ["card", "view", "start", "--store", store], env={"DISPLAY": ""})
    assert out.exit_code == 0, out.output
    assert "Model report" in open(out.output.strip().splitlines()[-1]).read()
    missing = runner.invoke(cli, ["card", "get", "start", "--id", "nope", "--store", store])
    assert missing.exit_code == 1 and "has no cards with id 'nope'" in missing.output


def test_cards_in_the_report_render_in_chromium(card_run, tmp_path):
    from browser import chromium_binary, dump_dom

    if chromium_binary() is None:
        pytest.skip("no chromium binary (install it: apt-get install -y chromium)")
    _, result, _ = card_run
    report = result.run.report()
    path = report.save(tmp_path / "report.html")
    page = path.read_text()
    assert 'class="card"' in page and "Model report" in page
    dom = dump_dom(path.as_uri(), user_data_dir=tmp_path / "chrome")
    assert 'class="card"' in dom and "start/0 · default" in dom
