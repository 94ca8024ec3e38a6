// Pan and zoom for the tree drawing (the one thing on the console that needs JavaScript;
// folding works through links without it).
(function () {
  "use strict";
  var box = document.querySelector(".tree-box");
  if (!box) { return; }
  var svg = box.querySelector("svg.tree");
  if (!svg) { return; }
  var base = svg.viewBox.baseVal;  // live: copy it before the view changes
  var full = { x: base.x, y: base.y, width: base.width, height: base.height };
  var view = { x: full.x, y: full.y, w: full.width, h: full.height };
  var buttons = document.querySelector(".zoom-buttons");
  if (buttons) { buttons.hidden = false; }

  function apply() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
  function fit() { view = { x: full.x, y: full.y, w: full.width, h: full.height }; apply(); }
  function zoom(factor, cx, cy) {
    var nw = view.w / factor, nh = view.h / factor;
    view.x = cx - (cx - view.x) * (nw / view.w);
    view.y = cy - (cy - view.y) * (nh / view.h);
    view.w = nw; view.h = nh; apply();
  }
  function center() { return [view.x + view.w / 2, view.y + view.h / 2]; }
  function point(evt) {
    var r = svg.getBoundingClientRect();
    return [view.x + (evt.clientX - r.left) / r.width * view.w,
            view.y + (evt.clientY - r.top) / r.height * view.h];
  }
  box.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var p = point(evt);
    zoom(evt.deltaY < 0 ? 1.2 : 1 / 1.2, p[0], p[1]);
  }, { passive: false });
  var drag = null;
  var moved = false;
  box.addEventListener("pointerdown", function (evt) {
    if (evt.target.closest("a")) { return; }
    drag = { x: evt.clientX, y: evt.clientY, vx: view.x, vy: view.y };
    moved = false;
  });
  box.addEventListener("pointermove", function (evt) {
    if (!drag) { return; }
    if (!moved && Math.abs(evt.clientX - drag.x) + Math.abs(evt.clientY - drag.y) > 4) {
      moved = true;
      box.setPointerCapture(evt.pointerId);  // only a drag captures: a click keeps its target
    }
    if (!moved) { return; }
    var r = svg.getBoundingClientRect();
    view.x = drag.vx - (evt.clientX - drag.x) / r.width * view.w;
    view.y = drag.vy - (evt.clientY - drag.y) / r.height * view.h;
    apply();
  });
  box.addEventListener("pointerup", function () { drag = null; });
  box.addEventListener("keydown", function (evt) {
    var step = 0.1, c = center();
    var keys = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (keys[evt.key]) {
      view.x += keys[evt.key][0] * view.w; view.y += keys[evt.key][1] * view.h; apply();
    } else if (evt.key === "+" || evt.key === "=") { zoom(1.25, c[0], c[1]); }
    else if (evt.key === "-") { zoom(0.8, c[0], c[1]); }
    else if (evt.key === "0") { fit(); }
    else { return; }
    evt.preventDefault();
  });
  if (buttons) {
    buttons.addEventListener("click", function (evt) {
      var factor = Number(evt.target.getAttribute("data-zoom"));
      if (isNaN(factor)) { return; }
      if (factor === 0) { fit(); } else { var c = center(); zoom(factor, c[0], c[1]); }
    });
  }
  // A compact drawing has no link per split: a click on a split (or a folded one) toggles it.
  svg.addEventListener("click", function (evt) {
    var node = evt.target.closest("g.node.split[data-node], g.node.folded[data-node]");
    if (!node || node.closest("a") || moved) { return; }
    var params = new URLSearchParams(window.location.search);
    var folded = (params.get("fold") || "").split(",").filter(Boolean);
    var id = node.getAttribute("data-node");
    var at = folded.indexOf(id);
    if (at >= 0) { folded.splice(at, 1); } else { folded.push(id); }
    params.set("fold", folded.join(","));
    window.location.search = params.toString();
  });
  window.sparkgroveTree = { view: function () { return view; }, zoom: zoom, fit: fit };
})();
