"""The report page's inline stylesheet and script (kept apart from the markup)."""

from dflow.report.graph import GRAPH_CSS

PAGE_CSS = (
    """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0 2vw 40px;color:#1d2330}
h1{font-size:22px;margin:18px 0 8px}
h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #dde}
h3{font-size:14px;margin:14px 0 6px}h4{font-size:13px;margin:8px 0 4px}small,.muted{color:#667}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
table.artifacts,table.tasks{width:100%}
table.artifacts td,table.tasks td,table.params td{border-top:1px solid #eef}
code{font:12px ui-monospace,Menlo,monospace;background:#f4f5f8;padding:0 3px}
pre{background:#1f2430;color:#f3f3f3;padding:10px;overflow:auto;font-size:12px}
.scroll{overflow-x:auto}
svg.timeline{width:100%;height:auto;min-width:900px}
.badge{padding:1px 8px;border-radius:9px;color:#fff;background:#889}
.badge.succeeded{background:#2e8b57}.badge.failed{background:#c0392b}.badge.running{background:#2f6fdb}
svg.timeline text.tick{font-size:10px;fill:#667;text-anchor:middle}
svg.timeline line.tick{stroke:#eef}svg.timeline line.lane{stroke:#dde}
svg.timeline text.lane{font-size:11px;text-anchor:end;fill:#334}
rect.tl-item{fill:#2e8b57}rect.tl-item.failed{fill:#c0392b}rect.tl-item.running{fill:#2f6fdb}
rect.tl-item.retry{stroke:#111;stroke-width:1}rect.tl-item.dim,rect.tl-density.dim{opacity:.15}
.key{display:inline-block;width:12px;height:10px;margin:0 4px 0 10px;background:#2e8b57}
.key.failed{background:#c0392b}.key.running{background:#2f6fdb}
.step-body{display:flex;gap:24px;align-items:flex-start}.step-main{flex:1;min-width:0}
.hist small{display:block}svg.histogram text{font-size:10px;fill:#667}
section.step.unreached h3{color:#999}
.failure{border-left:4px solid #c0392b;padding-left:10px;margin:10px 0}
figure.card{margin:8px 0}figure.card figcaption{font-size:12px;color:#667}
footer{margin-top:30px;color:#889;font-size:12px}
"""
    + GRAPH_CSS
)

# Clicking a step in the graph dims the other steps' bars on the timeline (click again
# to clear). One listener on the SVG, one class toggle per bar: cheap for 1,000 bars.
PAGE_JS = """
(function(){
  var graph=document.querySelector('svg.graph');
  var bars=document.querySelectorAll('rect.tl-item,rect.tl-density');
  if(!graph){return;}
  var chosen=null;
  graph.addEventListener('click',function(ev){
    var node=ev.target.closest('g.node'); if(!node){return;}
    var step=node.getAttribute('data-step'); chosen=(chosen===step)?null:step;
    for(var i=0;i<bars.length;i++){
      bars[i].classList.toggle('dim', chosen!==null && bars[i].getAttribute('data-step')!==chosen);
    }
  });
  document.body.setAttribute('data-report-ready',
    String(document.querySelectorAll('rect.tl-item').length));
})();
"""
