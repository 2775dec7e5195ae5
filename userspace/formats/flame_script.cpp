#include "formats/flame_script.h"

namespace threadleak {

// Event handlers are attached here, never written as attributes: a page whose
// Content-Security-Policy forbids inline handlers runs it unchanged. Geometry
// comes from the <svg>'s data- attributes (formats/flame_svg.cpp), frames from
// each <g class="f">: data-x / data-w (position and weight, in weight units),
// data-d (depth; the root is the first frame, depth 0), and the <title>
// whose first line is the frame's text.
const std::string& flame_script() {
    static const std::string script = R"JS((function () {
  'use strict';
  var svg = document.querySelector('svg.tlf');
  if (!svg) return;
  var num = function (element, name) { return Number(element.getAttribute(name)); };
  var pad = num(svg, 'data-pad');
  var full = num(svg, 'data-width') - 2 * pad;
  var charWidth = num(svg, 'data-charw');
  var minWidth = num(svg, 'data-minw');
  var unit = svg.getAttribute('data-unit');
  var details = svg.querySelector('.tlf-details');
  var hint = details.textContent;
  var matched = svg.querySelector('.tlf-matched');
  var reset = svg.querySelector('.tlf-reset');
  var search = svg.querySelector('.tlf-search');
  var nodes = [];
  var nodeOf = new Map();
  svg.querySelectorAll('g.f').forEach(function (g) {
    var lines = g.querySelector('title').textContent.split('\n');
    var node = {
      g: g, rect: g.querySelector('rect'), label: g.querySelector('text'),
      x: num(g, 'data-x'), w: num(g, 'data-w'), d: num(g, 'data-d'),
      name: lines[0], about: lines.join(' | ')
    };
    nodes.push(node);
    nodeOf.set(g, node);
  });
  if (nodes.length === 0) return;
  var root = nodes[0];

  // The frame's text cut to the characters that fit, as the svg writer cuts it.
  function label(node, width) {
    var chars = Math.floor((width - 6) / charWidth);
    if (chars < 3) return '';
    var points = Array.from(node.name);
    return points.length <= chars ? node.name : points.slice(0, chars - 2).join('') + '..';
  }

  // The target spans the width; its ancestors stay below it, faded; the
  // frames above it spread out; everything else is hidden.
  function zoom(target) {
    var scale = full / target.w;
    nodes.forEach(function (n) {
      var ancestor = n.d < target.d && n.x <= target.x && n.x + n.w >= target.x + target.w;
      var inside = n.d >= target.d && n.x >= target.x && n.x + n.w <= target.x + target.w;
      var x = ancestor ? pad : pad + (n.x - target.x) * scale;
      var width = ancestor ? full : n.w * scale;
      n.g.classList.toggle('h', !(ancestor || inside) || width < minWidth);
      n.g.classList.toggle('a', ancestor);
      if (!(ancestor || inside)) return;
      n.rect.setAttribute('x', x.toFixed(2));
      n.rect.setAttribute('width', width.toFixed(2));
      n.label.setAttribute('x', (x + 3).toFixed(2));
      n.label.textContent = label(n, width);
    });
    svg.setAttribute('data-zoomed', target === root ? '' : target.name);
    reset.classList.toggle('h', target === root);
  }

  function amount(w) {
    if (unit === 'us') return (w / 1e6).toFixed(3) + ' s';
    return w + (w === 1 ? ' thread' : ' threads');
  }

  // Marks the frames whose text holds the query; their share counts each
  // stretch of the width once, however many matches are stacked on it.
  function find() {
    var query = search.value.toLowerCase();
    var hits = [];
    nodes.forEach(function (n) {
      var hit = query !== '' && n !== root && n.name.toLowerCase().indexOf(query) !== -1;
      n.g.classList.toggle('m', hit);
      if (hit) hits.push(n);
    });
    if (query === '') {
      matched.textContent = '';
      return;
    }
    hits.sort(function (a, b) { return a.x - b.x || a.d - b.d; });
    var covered = 0, end = 0;
    hits.forEach(function (n) {
      var stop = n.x + n.w;
      if (stop <= end) return;
      covered += stop - Math.max(n.x, end);
      end = stop;
    });
    var share = (100 * covered / root.w).toFixed(1);
    var part = unit === 'us' ? amount(covered) : String(covered);
    matched.textContent = 'Matched: ' + share + '% (' + part + ' of ' + amount(root.w) + ')';
  }

  svg.addEventListener('click', function (event) {
    var g = event.target.closest('g.f');
    if (g) zoom(nodeOf.get(g));
    else if (event.target === reset) zoom(root);
  });
  reset.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    event.preventDefault();
    zoom(root);
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') zoom(root);
  });
  svg.addEventListener('mouseover', function (event) {
    var g = event.target.closest('g.f');
    if (g) details.textContent = nodeOf.get(g).about;
  });
  svg.addEventListener('mouseout', function (event) {
    if (event.target.closest('g.f')) details.textContent = hint;
  });
  search.addEventListener('input', find);
})();
)JS";
    return script;
}

const std::string& flame_style() {
    static const std::string style = R"CSS(svg.tlf { font-family: monospace; font-size: 12px; background-color: #fbfbf8; }
svg.tlf .f { cursor: pointer; }
svg.tlf .f:hover rect { stroke: #222222; stroke-width: 1px; }
svg.tlf .f text { fill: #111111; pointer-events: none; }
svg.tlf .h { display: none; }
svg.tlf .a rect { opacity: 0.55; }
svg.tlf .m rect { fill: #e600e6; }
svg.tlf .tlf-heading { font-size: 17px; text-anchor: middle; fill: #111111; }
svg.tlf .tlf-subtitle { text-anchor: middle; fill: #444444; }
svg.tlf .tlf-reset { fill: #0645ad; text-decoration: underline; cursor: pointer; }
svg.tlf .tlf-reset:focus { outline: 2px solid #0645ad; }
svg.tlf .tlf-legend, svg.tlf .tlf-details { fill: #333333; }
svg.tlf .tlf-matched { text-anchor: end; fill: #333333; }
svg.tlf .tlf-key { stroke: #999999; stroke-width: 0.5px; }
svg.tlf .tlf-search { width: 100%; box-sizing: border-box; font: 12px monospace; padding: 2px 4px; }
)CSS";
    return style;
}

}  // namespace threadleak
