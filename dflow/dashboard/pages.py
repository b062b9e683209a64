"""The dflow page as a page of the Dask dashboard: Dask's template, navigation and styles.

The page extends distributed's own ``base.html`` (the template of ``/status``,
``/workers``, ...), so it has the dashboard's navigation bar, and ``dflow`` is added to
that bar's pages (:func:`add_to_navigation`), so every dashboard page links to it. Its
content is rendered on the scheduler (:mod:`dflow.dashboard.view`) at the first load;
then a few lines of script fetch the same HTML again every second and swap it in.

The page lives at ``/dflow`` (one run: ``/dflow?run=Flow/run_id``) and uses relative
links, as Dask's pages do, so it works behind a URL prefix or a proxy.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

import jinja2
from markupsafe import Markup

from dflow.report.graph import GRAPH_CSS

_HERE = os.path.dirname(__file__)

CSS = (
    """
#dflow-page{padding:4px 12px 24px;font:14px/1.4 Helvetica,Arial,sans-serif;color:#1d2330}
#dflow-page h1{font-size:20px;margin:10px 0}#dflow-page h2{font-size:17px;margin:18px 0 6px}
#dflow-page h3{font-size:14px;margin:12px 0 4px}#dflow-page a{color:#2f5fb3}
#dflow-page table{border-collapse:collapse;margin-bottom:6px}
#dflow-page td,#dflow-page th{padding:3px 12px 3px 0;text-align:left;vertical-align:middle}
table.runs{width:100%}table.runs tr.run>td{border-top:1px solid #dde}
table.runs tr.chosen{background:rgba(234,170,109,.18)}
table.steps{width:100%}table.steps tr>td{border-top:1px solid #eef}
.muted{color:#778}.n-failed{color:#c0392b}.n-failed.zero{color:inherit}
td.step{white-space:nowrap}
.status{padding:0 7px;border-radius:8px;color:#fff;background:#889;font-size:12px}
.status.succeeded{background:#2e8b57}.status.failed{background:#c0392b}
.status.running{background:#2f6fdb}
.progress{display:flex;width:100%;min-width:160px;height:14px;background:rgba(170,170,170,.1);
  border:1px solid rgba(170,170,170,.3)}
.progress .seg{display:block;height:100%}
td.bar-cell{width:30%}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;vertical-align:middle}
section.run-detail{border-top:2px solid #eaaa6d;margin-top:16px;padding-top:4px}
.failure-box summary{cursor:pointer;color:#c0392b}
pre.traceback{background:#1f2430;color:#eee;padding:8px;overflow:auto;font-size:12px;
  max-height:320px}
.scroll{overflow-x:auto}a.task-link{font:11px monospace;margin-right:6px}
"""
    + GRAPH_CSS
)

# Fetch the page's content again every second and swap it in when it changed (the
# server escapes everything it renders), keeping open the failures the reader opened.
# Polling slows down when the scheduler cannot be reached.
SCRIPT = """
(function(){
  var page=document.getElementById('dflow-page'), api=page.getAttribute('data-api');
  var last=null;
  function tick(){
    fetch(api,{cache:'no-store'}).then(function(r){return r.json();}).then(function(d){
      var box=document.getElementById('dflow-content');
      if(d.html!==last){  /* keep what the reader opened (a failure's traceback) open */
        var open=[].map.call(box.querySelectorAll('details[open]'),function(e){
          return e.getAttribute('data-key');});
        box.innerHTML=d.html; last=d.html;
        open.forEach(function(k){var e=box.querySelector('details[data-key="'+k+'"]');
          if(e){e.open=true;}});}
      document.getElementById('error').textContent='';
      page.setAttribute('data-updated', String(d.time)); setTimeout(tick, 1000);
    }).catch(function(e){
      document.getElementById('error').textContent='cannot reach '+api+': '+e;
      setTimeout(tick, 3000);});
  }
  setTimeout(tick, 1000);
})();
"""


@functools.cache
def _environment() -> jinja2.Environment:
    import distributed.http

    dask_templates = os.path.join(os.path.dirname(distributed.http.__file__), "templates")
    loader = jinja2.FileSystemLoader([os.path.join(_HERE, "templates"), dask_templates])
    return jinja2.Environment(loader=loader, autoescape=True)


def dask_template_variables(scheduler: Any) -> dict:
    """The variables Dask's own pages render ``base.html`` with (pages, plots, jupyter),
    ``dflow`` listed among the pages."""
    try:
        from distributed.dashboard.scheduler import template_variables
    except ImportError:  # no bokeh: Dask has no dashboard pages, only these routes
        return {"pages": ["dflow"], "plots": [], "jupyter": False}
    variables = template_variables(scheduler)
    pages = variables.get("pages")
    if isinstance(pages, list) and "dflow" not in pages:
        pages.append("dflow")
    return variables


def add_to_navigation(scheduler: Any) -> None:
    """List ``dflow`` among the dashboard's pages, so its navigation bar links here.

    Dask's pages share one memoized ``template_variables`` dict per scheduler; its
    ``pages`` list is the navigation bar. Imports Bokeh (Dask's pages) when it is not yet.
    """
    dask_template_variables(scheduler)


def render_page(scheduler: Any, content: str, api: str, now: float) -> str:
    """The whole /dflow document around ``content`` (HTML rendered by the view)."""
    template = _environment().get_template("dflow.html")
    return template.render(
        **dask_template_variables(scheduler),
        css=Markup(CSS),
        script=Markup(SCRIPT),
        content=Markup(content),
        api=api,
        now=json.dumps(now),
    )
