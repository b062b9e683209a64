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
.badge.damaged{background:#d35400}
svg.timeline text.tick{font-size:10px;fill:#667;text-anchor:middle}
svg.timeline line.tick{stroke:#eef}svg.timeline line.lane{stroke:#dde}
svg.timeline text.lane{font-size:11px;text-anchor:end;fill:#334}
rect.tl-item{fill:#2e8b57}rect.tl-item.failed{fill:#c0392b}rect.tl-item.running{fill:#2f6fdb}
rect.tl-item.retry{stroke:#111;stroke-width:1}
svg.timeline{cursor:crosshair}rect.tl-brush{fill:rgba(47,111,219,.15);stroke:#2f6fdb}rect.tl-item.dim,rect.tl-density.dim{opacity:.15}
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
function fmtSeconds(t){if(t===0){return '0';} if(t<1){return (t*1000).toPrecision(3)+' ms';}
  if(t<120){return t.toPrecision(3)+' s';} return (t/60).toFixed(1)+' min';}
function zoomable(svg){
  if(!svg){return;}
  var x0=+svg.dataset.x0, w=+svg.dataset.w, span=+svg.dataset.span, minW=+svg.dataset.minW;
  var axis=+svg.dataset.axis, H=+svg.getAttribute('height'), NS='http://www.w3.org/2000/svg';
  var bars=svg.querySelectorAll('rect[data-s]'), ticks=svg.querySelector('g.ticks');
  var brush=svg.querySelector('rect.tl-brush'), lo=0, hi=span, from=null;
  function draw(){
    var k=w/(hi-lo);
    for(var i=0;i<bars.length;i++){var b=bars[i], s=+b.dataset.s, e=+b.dataset.e;
      if(e<lo||s>hi){b.style.display='none'; continue;} b.style.display='';
      var a=Math.max(s,lo), z=Math.min(e,hi);
      b.setAttribute('x',(x0+(a-lo)*k).toFixed(1));
      b.setAttribute('width',Math.max((z-a)*k,minW).toFixed(1));}
    ticks.textContent=''; var step=Math.pow(10,Math.floor(Math.log10((hi-lo)/5)));
    [1,2,5,10].some(function(m){if((hi-lo)/(step*m)<=10){step*=m; return true;} return false;});
    for(var t=Math.ceil(lo/step)*step;t<=hi+1e-12;t+=step){var x=x0+(t-lo)*k;
      var l=document.createElementNS(NS,'line'); l.setAttribute('class','tick');
      l.setAttribute('x1',x); l.setAttribute('x2',x); l.setAttribute('y1',axis-6);
      l.setAttribute('y2',H); ticks.appendChild(l);
      var tx=document.createElementNS(NS,'text'); tx.setAttribute('class','tick');
      tx.setAttribute('x',x); tx.setAttribute('y',axis-10); tx.textContent=fmtSeconds(t);
      ticks.appendChild(tx);}
    svg.setAttribute('data-zoom',lo.toFixed(6)+','+hi.toFixed(6));}
  function at(ev){var p=svg.createSVGPoint(); p.x=ev.clientX; p.y=ev.clientY;
    var q=p.matrixTransform(svg.getScreenCTM().inverse()), x=Math.min(Math.max(q.x,x0),x0+w);
    return {x:x, t:lo+(x-x0)*(hi-lo)/w};}
  svg.addEventListener('mousedown',function(ev){from=at(ev); ev.preventDefault();});
  svg.addEventListener('mousemove',function(ev){if(!from){return;} var p=at(ev);
    brush.setAttribute('x',Math.min(p.x,from.x)); brush.setAttribute('width',Math.abs(p.x-from.x));
    brush.setAttribute('y',axis); brush.setAttribute('height',H-axis);});
  window.addEventListener('mouseup',function(ev){if(!from){return;} var p=at(ev), a=from.t;
    from=null; brush.setAttribute('width',0);
    if(Math.abs(p.t-a)>(hi-lo)/200){lo=Math.min(a,p.t); hi=Math.max(a,p.t); draw();}});
  svg.addEventListener('dblclick',function(){lo=0; hi=span; draw();});
  var m=/zoom=([0-9.]+),([0-9.]+)/.exec(location.hash);
  if(m&&+m[2]>+m[1]){lo=+m[1]; hi=+m[2]; draw();}
}
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
  zoomable(document.getElementById('timeline'));
  document.body.setAttribute('data-report-ready',
    String(document.querySelectorAll('rect.tl-item').length));
})();
"""
