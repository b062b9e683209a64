"""HTML of the dflow pages: small documents whose inline script polls the JSON API.

No external script, style or font: the pages work on an air-gapped cluster. The script
builds the DOM with ``textContent`` (never ``innerHTML`` with data), so flow and step
names cannot inject markup.
"""

from __future__ import annotations

import json
from html import escape

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#1d2330}
h1{font-size:20px;margin:0 0 12px}a{color:#2f5fb3}
table{border-collapse:collapse;margin-bottom:6px}td,th{padding:3px 10px 3px 0;text-align:left}
tr.run>td{border-top:1px solid #ccd;padding-top:8px;font-weight:600}
table.steps td{font-weight:400;color:#334}.muted{color:#778}
.status{padding:0 7px;border-radius:8px;color:#fff;background:#889}
.status.succeeded{background:#2e8b57}.status.failed{background:#c0392b}
.status.running{background:#2f6fdb}
.n-failed{color:#c0392b}.n-running{color:#2f6fdb}
pre{background:#1f2430;color:#eee;padding:8px;overflow:auto;font-size:12px}
"""

_COMMON_JS = """
function el(tag, cls, text){var e=document.createElement(tag); if(cls){e.className=cls;}
  if(text!==undefined&&text!==null){e.textContent=String(text);} return e;}
function when(t){return t?new Date(t*1000).toLocaleString():'-';}
function dur(s){if(s===null||s===undefined){return '-';} return s<1?(s*1000).toFixed(0)+' ms':
  s<120?s.toFixed(1)+' s':(s/60).toFixed(1)+' min';}
function stepsTable(steps){
  var t=el('table','steps'), h=el('tr');
  ['step','done','running','waiting','failed','failed attempts'].forEach(function(c){
    h.appendChild(el('th',null,c));});
  t.appendChild(h);
  steps.forEach(function(s){var r=el('tr'); r.setAttribute('data-step', s.step);
    r.appendChild(el('td','step',s.step)); r.appendChild(el('td','n-done',s.done));
    r.appendChild(el('td','n-running',s.running)); r.appendChild(el('td','n-waiting',s.waiting));
    r.appendChild(el('td','n-failed',s.failed));
    r.appendChild(el('td','n-failed-attempts',s.failed_attempts)); t.appendChild(r);});
  return t;}
function poll(url, render, every){
  function tick(){fetch(url,{cache:'no-store'}).then(function(r){return r.json();})
    .then(function(d){render(d); document.body.setAttribute('data-updated', String(d.time||''));
      setTimeout(tick, every);})
    .catch(function(e){document.getElementById('error').textContent='cannot reach '+url+': '+e;
      setTimeout(tick, every*3);});}
  tick();}
"""

_RUNS_JS = """
function render(d){
  var box=document.getElementById('runs'); box.textContent='';
  if(!d.runs.length){box.appendChild(el('p','muted','No dflow run seen on this cluster yet.'));
    return;}
  var t=el('table','runs'), h=el('tr');
  ['flow','run','status','started','duration'].forEach(function(c){h.appendChild(el('th',null,c));});
  t.appendChild(h);
  d.runs.forEach(function(r){
    var row=el('tr','run'); row.setAttribute('data-run', r.flow+'/'+r.run_id);
    row.appendChild(el('td','flow',r.flow));
    var a=el('a',null,r.run_id); a.href=BASE+'/run/'+encodeURIComponent(r.flow)+'/'+
      encodeURIComponent(r.run_id);
    var td=el('td','run-id'); td.appendChild(a); row.appendChild(td);
    var st=el('td'); st.appendChild(el('span','status '+r.status,r.status)); row.appendChild(st);
    row.appendChild(el('td',null,when(r.started))); row.appendChild(el('td',null,dur(r.duration)));
    t.appendChild(row);
    var sub=el('tr'), cell=el('td'); cell.colSpan=5; cell.appendChild(stepsTable(r.steps));
    sub.appendChild(cell); t.appendChild(sub);});
  box.appendChild(t);}
poll(BASE+'/api/runs', render, 1000);
"""

_RUN_JS = """
function render(d){
  var head=document.getElementById('head'); head.textContent='';
  head.appendChild(el('span','status '+d.status,d.status));
  head.appendChild(el('span',null,' started '+when(d.started)+' · '+dur(d.duration)));
  var box=document.getElementById('steps'); box.textContent='';
  box.appendChild(stepsTable(d.steps));
  var rec=d.record||{}, p=document.getElementById('record'); p.textContent='';
  if(rec.store_error){p.appendChild(el('p','n-failed','store: '+rec.store_error));}
  if(rec.parameters){p.appendChild(el('p',null,'parameters: '+JSON.stringify(rec.parameters)));}
  if(rec.user){p.appendChild(el('p',null,'user: '+rec.user));}
  var f=document.getElementById('failures'); f.textContent='';
  d.events.filter(function(e){return e.state==='failed';}).slice(-50).forEach(function(e){
    f.appendChild(el('p','failure',e.step+'/'+e.task_id+' attempt '+e.attempt+' failed on '+
      (e.worker||'?')+' after '+dur(e.duration)));});
  if(rec.error){f.appendChild(el('pre','traceback',rec.error.traceback||rec.error.message));}
  var t=document.getElementById('events'); t.textContent='';
  var h=el('tr'); ['step','task','attempt','state','worker','duration'].forEach(function(c){
    h.appendChild(el('th',null,c));}); t.appendChild(h);
  d.events.slice(-300).reverse().forEach(function(e){var r=el('tr',e.state);
    [e.step,e.task_id,e.attempt,e.state,e.worker,dur(e.duration)].forEach(function(v){
      r.appendChild(el('td',null,v));}); t.appendChild(r);});}
poll(API, render, 1000);
"""


def _doc(title: str, body: str, script: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{_CSS}</style></head><body>{body}"
        f'<p id="error" class="n-failed"></p><script>{_COMMON_JS}{script}</script>'
        "</body></html>"
    )


def runs_page(base: str) -> str:
    """The ``/dflow`` page (``base`` is the page's own path, e.g. ``"/dflow"``)."""
    body = '<h1>dflow runs</h1><div id="runs" class="muted">loading…</div>'
    return _doc("dflow runs", body, f"var BASE={json.dumps(base)};{_RUNS_JS}")


def run_page(base: str, flow: str, run_id: str) -> str:
    """The ``/dflow/run/<flow>/<run_id>`` page."""
    api = f"{base}/api/run/{flow}/{run_id}"
    body = (
        f'<p><a href="{escape(base)}">all runs</a></p><h1>{escape(flow)} / {escape(run_id)}'
        '</h1><p id="head"></p><h2>Steps</h2><div id="steps"></div><div id="record"></div>'
        '<h2>Failures</h2><div id="failures"></div><h2>Latest attempts</h2>'
        '<table id="events"></table>'
    )
    return _doc(
        f"{flow}/{run_id} · dflow",
        body,
        f"var BASE={json.dumps(base)};var API={json.dumps(api)};{_RUN_JS}",
    )
