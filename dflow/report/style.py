"""The report page's inline stylesheet and script (kept apart from the markup)."""

PAGE_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0 24px 40px;color:#1d2330}
h1{font-size:22px;margin:18px 0 8px}
h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #dde}
h3{font-size:14px;margin:14px 0 6px}small,.muted{color:#667}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
table.artifacts td,table.tasks td,table.params td{border-top:1px solid #eef}
code{font:12px ui-monospace,Menlo,monospace;background:#f4f5f8;padding:0 3px}
pre{background:#1f2430;color:#f3f3f3;padding:10px;overflow:auto;font-size:12px}
.scroll{overflow-x:auto}
.badge{padding:1px 8px;border-radius:9px;color:#fff;background:#889}
.badge.succeeded{background:#2e8b57}.badge.failed{background:#c0392b}.badge.running{background:#2f6fdb}
svg.graph .edge{fill:none;stroke:#667;stroke-width:1.4}
svg.graph rect{fill:#eef3fb;stroke:#4a6fa5;stroke-width:1.4}
svg.graph .succeeded rect{fill:#e6f4ea;stroke:#2e8b57}
svg.graph .failed rect{fill:#fdecea;stroke:#c0392b}
svg.graph .running rect{fill:#e8f0fe;stroke:#2f6fdb}
svg.graph text{text-anchor:middle;font-size:12px}svg.graph text.kind{fill:#667;font-size:11px}
svg.graph g.node{cursor:pointer}
svg.timeline text.tick{font-size:10px;fill:#667;text-anchor:middle}
svg.timeline line.tick{stroke:#eef}svg.timeline line.lane{stroke:#dde}
svg.timeline text.lane{font-size:11px;text-anchor:end;fill:#334}
rect.tl-item{fill:#2e8b57}rect.tl-item.failed{fill:#c0392b}rect.tl-item.running{fill:#2f6fdb}
rect.tl-item.retry{stroke:#111;stroke-width:1}rect.tl-item.dim{opacity:.15}
.key{display:inline-block;width:12px;height:10px;margin:0 4px 0 10px;background:#2e8b57}
.key.failed{background:#c0392b}.key.running{background:#2f6fdb}
.failure{border-left:4px solid #c0392b;padding-left:10px;margin:10px 0}
footer{margin-top:30px;color:#889;font-size:12px}
"""

# Clicking a step in the graph dims the other steps' bars on the timeline (click again
# to clear). One listener on the SVG, one class toggle per bar: cheap for 1,000 bars.
PAGE_JS = """
(function(){
  var graph=document.querySelector('svg.graph'), bars=document.querySelectorAll('rect.tl-item');
  if(!graph){return;}
  var chosen=null;
  graph.addEventListener('click',function(ev){
    var node=ev.target.closest('g.node'); if(!node){return;}
    var step=node.getAttribute('data-step'); chosen=(chosen===step)?null:step;
    for(var i=0;i<bars.length;i++){
      bars[i].classList.toggle('dim', chosen!==null && bars[i].getAttribute('data-step')!==chosen);
    }
    var sec=document.getElementById('step-'+step); if(sec&&chosen){sec.scrollIntoView();}
  });
  document.body.setAttribute('data-report-ready', String(bars.length));
})();
"""
