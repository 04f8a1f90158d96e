/* The model report: the row picker's waterfall and the dependence plot, drawn from the
   explanation embedded as JSON (computed by the model; nothing is recomputed here). */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var F = D.features, N = D.rows.length, TOP = 20, SVG = "http://www.w3.org/2000/svg";
  var state = { row: 0, feature: 0, cls: "predicted", depCls: 0 };
  var $ = function (id) { return document.getElementById(id); };

  function signed(v) { return v === null ? "–" : (v >= 0 ? "+" : "−") + Math.abs(v).toFixed(3); }
  function short(v) { return String(Number(v.toPrecision(4))); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function outputLabel(k) {
    if (D.outputs.length > 1) return "logit of class " + D.outputs[k].label + " vs. the others";
    return D.output_name;
  }
  function waterfallClass(i) {
    return state.cls === "predicted" ? D.predicted_key[i] : Number(state.cls);
  }

  // ---- the row's waterfall: bias, contributions by |size|, output ----
  function drawWaterfall() {
    var i = state.row, k = waterfallClass(i), o = D.outputs[k];
    var c = o.contrib[i], bias = o.bias[i], out = o.output[i];
    var order = c.map(function (_, j) { return j; }).sort(function (a, b) {
      return Math.abs(c[b]) - Math.abs(c[a]);
    });
    var shown = order.length > TOP + 1 ? order.slice(0, TOP) : order;
    var rest = order.slice(shown.length);
    var items = [{ name: "bias", value: "", ref: "", v: bias, kind: "bias", from: 0 }];
    var run = bias;
    shown.forEach(function (j) {
      items.push({ name: F[j].name, value: D.values[i][j], ref: F[j].reference, v: c[j],
                   kind: c[j] >= 0 ? "pos" : "neg", from: run, feature: j });
      run += c[j];
    });
    if (rest.length) {
      var s = rest.reduce(function (a, j) { return a + c[j]; }, 0);
      items.push({ name: rest.length + " other features", value: "", ref: "", v: s,
                   kind: s >= 0 ? "pos" : "neg", from: run });
    }
    items.push({ name: "output (" + outputLabel(k) + ")", value: "", ref: "", v: out,
                 kind: "out", from: 0, total: true });
    var ends = [0];
    items.forEach(function (it) { ends.push(it.from, it.from + it.v); });
    var lo = Math.min.apply(null, ends), hi = Math.max.apply(null, ends);
    var span = hi - lo || 1;
    var pct = function (v) { return (100 * (v - lo) / span).toFixed(2) + "%"; };
    var body = $("waterfall").tBodies[0];
    body.textContent = "";
    items.forEach(function (it) {
      var tr = el("tr", { "class": it.total ? "total" : "", "data-kind": it.kind });
      if (it.feature !== undefined) tr.dataset.feature = it.feature;
      tr.appendChild(el("td", { "class": "l" }, it.name));
      tr.appendChild(el("td", { "class": "l" }, it.value));
      tr.appendChild(el("td", { "class": "l" }, it.ref));
      tr.appendChild(el("td", { "class": it.kind === "pos" || it.kind === "neg" ? it.kind : "" },
                        signed(it.v)));
      var track = el("td", { "class": "track" }), inner = el("div", { "class": "track-in" });
      var a = Math.min(it.from, it.from + it.v), b = Math.max(it.from, it.from + it.v);
      inner.appendChild(el("div", { "class": "zero", style: "left:" + pct(0) }));
      inner.appendChild(el("div", { "class": "wbar " + it.kind,
        style: "left:" + pct(a) + ";width:" + (100 * (b - a) / span).toFixed(2) + "%" }));
      track.appendChild(inner);
      tr.appendChild(track);
      body.appendChild(tr);
    });
    var sum = $("row-summary");
    sum.textContent = "";
    sum.appendChild(el("b", {}, "Row " + i));
    sum.appendChild(document.createTextNode(" (index " + D.rows[i] + " of the data) · predicted: "));
    sum.appendChild(el("b", { id: "row-predicted" }, D.predicted[i]));
    if (o.proba) {
      sum.appendChild(document.createTextNode(" · P(" + o.label + ") = " +
                                              o.proba[i].toFixed(3)));
    }
    if (D.truth) sum.appendChild(document.createTextNode(" · true: " + D.truth[i]));
    sum.appendChild(document.createTextNode(" · output " + signed(out)));
  }

  // ---- dependence: the contribution of one feature against its value, all rows ----
  function ticks(lo, hi, count) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count)));
    [1, 2, 5, 10].some(function (m) {
      if ((hi - lo) / (step * m) <= count) { step *= m; return true; }
      return false;
    });
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(t);
    return out;
  }

  function drawDependence() {
    var j = state.feature, f = F[j], o = D.outputs[state.depCls];
    var svg = $("dependence-plot");
    svg.textContent = "";
    var W = 760, H = 400, m = { l: 70, r: 18, t: 30, b: 56 };
    var pts = [], cats = null, missing = 0;
    if (f.numeric) {
      for (var i = 0; i < N; i++) {
        if (D.x[i][j] === null) missing++;
        else pts.push([i, D.x[i][j], o.contrib[i][j]]);
      }
    } else {  // categories by frequency; beyond 15 they share one column
      var count = {};
      D.values.forEach(function (r) { count[r[j]] = (count[r[j]] || 0) + 1; });
      cats = Object.keys(count).sort(function (a, b) { return count[b] - count[a]; });
      var many = cats.length > 15, slot = {};
      if (many) cats = cats.slice(0, 14).concat([(cats.length - 14) + " other categories"]);
      cats.forEach(function (cat, p) { slot[cat] = p; });
      for (var r = 0; r < N; r++) {
        var p = slot[D.values[r][j]];
        if (p === undefined) p = cats.length - 1;
        var jitter = ((r * 2654435761) % 1000) / 1000 - 0.5;  // fixed, so redraws agree
        pts.push([r, p + 0.5 * jitter, o.contrib[r][j]]);
      }
    }
    var xs = pts.map(function (q) { return q[1]; }), ys = pts.map(function (q) { return q[2]; });
    if (f.numeric && f.ref_num !== null) xs.push(f.ref_num);
    var x0 = cats ? -0.6 : Math.min.apply(null, xs), x1 = cats ? cats.length - 0.4 : Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys.concat([0])), y1 = Math.max.apply(null, ys.concat([0]));
    if (x1 === x0) { x0 -= 1; x1 += 1; }
    if (y1 === y0) { y0 -= 1; y1 += 1; }
    var padX = cats ? 0 : 0.03 * (x1 - x0), padY = 0.06 * (y1 - y0);
    x0 -= padX; x1 += padX; y0 -= padY; y1 += padY;
    var sx = function (v) { return m.l + (v - x0) / (x1 - x0) * (W - m.l - m.r); };
    var sy = function (v) { return H - m.b - (v - y0) / (y1 - y0) * (H - m.t - m.b); };
    var axis = { stroke: "#888", "stroke-width": 1 };
    svg.appendChild(svgEl("line", Object.assign({ x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b }, axis)));
    svg.appendChild(svgEl("line", Object.assign({ x1: m.l, x2: m.l, y1: m.t, y2: H - m.b }, axis)));
    ticks(y0, y1, 6).forEach(function (t) {
      svg.appendChild(svgEl("line", { x1: m.l, x2: W - m.r, y1: sy(t), y2: sy(t), stroke: "#eee" }));
      svg.appendChild(svgEl("text", { x: m.l - 6, y: sy(t) + 4, "text-anchor": "end" }, short(t)));
    });
    if (cats) {
      cats.forEach(function (cat, p) {
        svg.appendChild(svgEl("text", { x: sx(p), y: H - m.b + 16, "text-anchor": "middle" },
                              cat.length > 14 ? cat.slice(0, 13) + "…" : cat));
      });
    } else {
      ticks(x0, x1, 7).forEach(function (t) {
        svg.appendChild(svgEl("text", { x: sx(t), y: H - m.b + 16, "text-anchor": "middle" }, short(t)));
      });
    }
    svg.appendChild(svgEl("line", { x1: m.l, x2: W - m.r, y1: sy(0), y2: sy(0), stroke: "#333" }));
    if (f.numeric && f.ref_num !== null) {
      svg.appendChild(svgEl("line", { x1: sx(f.ref_num), x2: sx(f.ref_num), y1: m.t, y2: H - m.b,
                                      stroke: "#333", "stroke-dasharray": "5 4" }));
    }
    var g = svgEl("g", { "class": "pts" });
    var selected = null;
    pts.forEach(function (q) {
      g.appendChild(svgEl("circle", { "class": "pt", cx: sx(q[1]).toFixed(1), cy: sy(q[2]).toFixed(1),
                                      r: 2.6, fill: D.point_color, "fill-opacity": 0.45,
                                      "data-row": q[0] }));
      if (q[0] === state.row) selected = q;
    });
    svg.appendChild(g);
    if (selected) {
      svg.appendChild(svgEl("circle", { id: "picked", cx: sx(selected[1]), cy: sy(selected[2]), r: 7,
                                        fill: "none", stroke: "#000", "stroke-width": 2 }));
    }
    svg.appendChild(svgEl("text", { x: (m.l + W - m.r) / 2, y: H - 12, "text-anchor": "middle" },
                          f.name + (cats ? " (category)" : " (value)") +
                          (f.numeric && f.ref_num !== null ? "; dashed: reference " + f.reference : "")));
    svg.appendChild(svgEl("text", { x: 16, y: (m.t + H - m.b) / 2, "text-anchor": "middle",
                                    transform: "rotate(-90 16 " + (m.t + H - m.b) / 2 + ")" },
                          "contribution to the " + outputLabel(state.depCls)));
    svg.appendChild(svgEl("text", { x: m.l, y: 18, id: "dependence-title" },
                          f.name + ": " + pts.length + " rows" +
                          (missing ? " (" + missing + " with a missing value not shown)" : "")));
    document.querySelectorAll("#importance-table tr.pick").forEach(function (tr) {
      tr.classList.toggle("current", Number(tr.dataset.feature) === j);
    });
  }

  function setRow(i) {
    i = Math.max(0, Math.min(N - 1, Math.round(Number(i)) || 0));
    state.row = i;
    $("row-input").value = i;
    drawWaterfall();
    drawDependence();
  }
  function setFeature(j) {
    state.feature = Number(j);
    $("feature-select").value = String(j);
    drawDependence();
  }

  $("row-input").addEventListener("change", function (e) { setRow(e.target.value); });
  $("row-prev").addEventListener("click", function () { setRow(state.row - 1); });
  $("row-next").addEventListener("click", function () { setRow(state.row + 1); });
  $("feature-select").addEventListener("change", function (e) { setFeature(e.target.value); });
  $("dependence-plot").addEventListener("click", function (e) {
    if (e.target.dataset && e.target.dataset.row !== undefined) setRow(e.target.dataset.row);
  });
  document.querySelectorAll("#importance-table tr.pick").forEach(function (tr) {
    tr.addEventListener("click", function () {
      setFeature(tr.dataset.feature);
      $("dependence").scrollIntoView();
    });
  });
  if ($("class-select")) {
    $("class-select").addEventListener("change", function (e) {
      state.cls = e.target.value;
      drawWaterfall();
    });
    $("dep-class").addEventListener("change", function (e) {
      state.depCls = Number(e.target.value);
      drawDependence();
    });
  }
  setRow(0);
})();
