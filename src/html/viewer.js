// paseo trace viewer: draws the run inlined as JSON in #paseo-data. No network access.
// Lanes are nodes (columns), virtual time runs down; every datagram copy is an arrow
// (g.arrow) from its sending to its arrival (or to a cross where the network dropped it).
// Labels that would overlap an earlier one try other spots along their arrow and are otherwise
// hidden until hovered; lanes shrink to fit (down to a minimum) and otherwise scroll sideways
// under a time axis and lane names that stay in view; "jump to first failure" scrolls to the
// earliest violation or failed step and selects its datagram.
// Opened with #selftest in the URL it counts the arrows, checks the labels, clicks the first
// arrow, jumps to the first failure and writes the result as JSON into #selftest-result (what
// tests/html_viewer.rs reads).
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("paseo-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var AXIS = 96, LANE = 230, TOP = 44, ROW = 21, GUTTER = 150, LANE_MAX = 230, LANE_MIN = 140;
  var FATES = ["delivered", "retransmitted", "duplicate", "dropped", "undecryptable", "rejected", "in-flight", "captured"];
  var state = { node: "", session: "", exchange: "", scale: "compact", hiddenFates: {}, selected: -1 };

  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function ms(us) { return us === null || us === undefined ? "-" : (us / 1000).toFixed(3) + " ms"; }
  function laneOf(name) { var i = DATA.nodes.indexOf(name); return i < 0 ? 0 : i; }
  function laneX(name) { return AXIS + laneOf(name) * LANE + LANE / 2; }
  function width() { return AXIS + DATA.nodes.length * LANE + GUTTER; }
  // Lanes share the timeline's width, between LANE_MIN and LANE_MAX pixels each.
  function laneWidth() {
    var box = document.getElementById("timeline");
    var room = (box && box.clientWidth ? box.clientWidth : 1000) - AXIS - GUTTER;
    var fit = Math.floor(room / Math.max(1, DATA.nodes.length));
    return Math.max(LANE_MIN, Math.min(LANE_MAX, fit));
  }
  // The earliest violation or failed step, or null.
  function firstFailure() {
    var first = null;
    DATA.marks.forEach(function (m) { if (first === null || m.at_us < first.at_us) first = m; });
    return first;
  }

  // Every instant anything happens, for the compact scale (one row per instant).
  function instants() {
    var set = {};
    DATA.flights.forEach(function (f) { set[f.sent_us] = 1; if (f.end_us !== null) set[f.end_us] = 1; });
    DATA.events.forEach(function (e) { set[e.at_us] = 1; });
    DATA.marks.forEach(function (m) { set[m.at_us] = 1; });
    DATA.sessions.forEach(function (s) { set[s.from_us] = 1; if (s.to_us !== null) set[s.to_us] = 1; });
    set[DATA.end_us] = 1;
    return Object.keys(set).map(Number).sort(function (a, b) { return a - b; });
  }
  var TIMES = instants();
  function rowOf(us) {
    var lo = 0, hi = TIMES.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (TIMES[mid] < us) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function y(us) {
    if (state.scale === "compact") return TOP + 10 + rowOf(us) * ROW;
    return TOP + 10 + (us / 1000) * Number(state.scale);
  }
  function bottom() { return y(DATA.end_us) + 30; }

  function header() {
    var head = document.getElementById("head");
    var title = h("h1", {}, head, DATA.scenario);
    h("span", { "class": "verdict " + (DATA.passed ? "pass" : "fail") }, head, DATA.verdict);
    h("span", {}, head, "  seed " + DATA.seed + " \u00b7 " + DATA.file + " \u00b7 ended at " + ms(DATA.end_us));
    h("p", {}, head, DATA.description);
    document.title = DATA.scenario + " seed " + DATA.seed + " \u2014 " + DATA.verdict;
    return title;
  }

  function option(select, value, text) { h("option", { value: value }, select, text); }
  function controls() {
    var c = document.getElementById("controls");
    function select(label, key, values) {
      var l = h("label", {}, c, label + " ");
      var s = h("select", { id: "filter-" + key }, l);
      option(s, "", "all");
      values.forEach(function (v) { option(s, v[0], v[1]); });
      s.addEventListener("change", function () { state[key] = s.value; apply(); });
    }
    select("node", "node", DATA.nodes.map(function (n) { return [n, n]; }));
    var sessions = [];
    DATA.flights.forEach(function (f) { if (f.session && sessions.indexOf(f.session) < 0) sessions.push(f.session); });
    DATA.sessions.forEach(function (s) { if (sessions.indexOf(s.key) < 0) sessions.push(s.key); });
    select("session", "session", sessions.map(function (s) { return [s, s]; }));
    select("exchange", "exchange", DATA.exchanges.map(function (x) {
      return [x.key, x.key + " " + x.first + " (" + x.flights + ")"];
    }));
    var l = h("label", {}, c, "time ");
    var s = h("select", { id: "scale" }, l);
    option(s, "compact", "one row per instant");
    ["0.1", "0.5", "2", "10"].forEach(function (v) { option(s, v, v + " px/ms"); });
    s.addEventListener("change", function () { state.scale = s.value; draw(); });
    var failure = firstFailure();
    var jump = h("button", { id: "jump-failure", type: "button" }, c, failure ? "jump to first failure" : "no failure");
    if (!failure) jump.disabled = true;
    jump.addEventListener("click", jumpToFailure);
    var legend = h("span", { "class": "legend" }, c);
    var counts = {};
    DATA.flights.forEach(function (f) { counts[f.fate] = (counts[f.fate] || 0) + 1; });
    FATES.forEach(function (fate) {
      var lab = h("label", { title: "show or hide " + fate }, legend);
      var box = h("input", { type: "checkbox", checked: "checked" }, lab);
      box.addEventListener("change", function () { state.hiddenFates[fate] = !box.checked; apply(); });
      h("span", { "class": "swatch", style: "background: var(--" + fate + ")" }, lab);
      lab.appendChild(document.createTextNode(fate + " " + (counts[fate] || 0)));
    });
  }

  function draw() {
    var box = document.getElementById("timeline");
    box.textContent = "";
    LANE = laneWidth();
    var H = bottom(), W = width();
    var svg = el("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, id: "chart" }, box);
    var defs = el("defs", {}, svg);
    FATES.forEach(function (fate) {
      var m = el("marker", { id: "head-" + fate, viewBox: "0 0 10 10", refX: 10, refY: 5, markerUnits: "userSpaceOnUse", markerWidth: 9, markerHeight: 9, orient: "auto" }, defs);
      el("path", { d: "M0,0 L10,5 L0,10 z", style: "fill: var(--" + fate + ")" }, m);
    });
    // Time axis: grid lines here, their labels in a group drawn last that stays at the left
    // edge when the lanes scroll sideways.
    var axis = el("g", { "class": "axis" }, svg);
    var ticks = [];
    if (state.scale === "compact") {
      TIMES.forEach(function (t) {
        el("line", { "class": "tickline", x1: AXIS, x2: W - GUTTER, y1: y(t), y2: y(t) }, axis);
        ticks.push([y(t), (t / 1000).toFixed(3)]);
      });
    } else {
      var px = Number(state.scale), step = 1;
      while (step * px < 40) step *= step % 3 === 1 ? 5 : 2;
      for (var t = 0; t <= DATA.end_us / 1000; t += step) {
        el("line", { "class": "tickline", x1: AXIS, x2: W - GUTTER, y1: y(t * 1000), y2: y(t * 1000) }, axis);
        ticks.push([y(t * 1000), t + " ms"]);
      }
    }
    // Lanes (their names, too, go in a group that stays at the top).
    DATA.nodes.forEach(function (n) {
      var x = laneX(n);
      el("line", { "class": "lane", x1: x, x2: x, y1: TOP, y2: H }, svg);
    });
    // Session lifetimes: bars beside the node's lane, one slot per concurrent session.
    var slots = {};
    DATA.sessions.forEach(function (s, i) {
      var used = slots[s.node] || (slots[s.node] = []);
      var slot = 0;
      while (used[slot] !== undefined && used[slot] >= s.from_us) slot++;
      used[slot] = s.to_us === null ? Infinity : s.to_us;
      var y0 = y(s.from_us), y1 = y(s.to_us === null ? DATA.end_us : s.to_us);
      var r = el("rect", { "class": "session " + s.how, x: laneX(s.node) + 5 + slot * 8, y: y0, width: 6, height: Math.max(2, y1 - y0), "data-s": i }, svg);
      el("title", {}, r, s.node + " session " + s.key + " " + s.how + " at " + ms(s.from_us) +
        (s.to_us === null ? ", open at the end" : ", " + s.closed + " at " + ms(s.to_us)));
    });
    // Exchanges: bars in the gutter; a click filters on the exchange.
    var xslots = [];
    DATA.exchanges.forEach(function (x, i) {
      var slot = 0;
      while (xslots[slot] !== undefined && xslots[slot] >= x.from_us) slot++;
      xslots[slot] = x.to_us;
      var y0 = y(x.from_us), y1 = y(x.to_us);
      var r = el("rect", { "class": "exchange", x: W - GUTTER + 8 + slot * 10, y: y0, width: 7, height: Math.max(3, y1 - y0), "data-x": i }, svg);
      el("title", {}, r, x.key + " " + x.first + ": " + x.flights + " datagrams, " + ms(x.from_us) + " to " + ms(x.to_us));
      r.addEventListener("click", function () {
        var s = document.getElementById("filter-exchange");
        s.value = state.exchange === x.key ? "" : x.key;
        state.exchange = s.value;
        apply();
      });
    });
    // Events (dots) and actions (dashed lines).
    DATA.events.forEach(function (e, i) {
      var g = el("g", { "class": "ev", "data-e": i }, svg), yy = y(e.at_us);
      if (e.kind === "action" && e.node === "sim") {
        el("line", { "class": "action", x1: AXIS, x2: W - GUTTER, y1: yy, y2: yy }, g);
        el("text", { "class": "action-text", x: W - GUTTER - 4, y: yy - 3, "text-anchor": "end" }, g, e.text.replace(/^\S+ \S+ \S+ \S+ /, ""));
      } else {
        var cls = "event" + (/session (opened|resumed)/.test(e.text) ? " opened" : "") + (/failed/.test(e.text) ? " failed" : "");
        var shape = e.kind === "action" ? el("rect", { "class": cls, x: laneX(e.node) - 4, y: yy - 4, width: 8, height: 8 }, g)
          : el("circle", { "class": cls, cx: laneX(e.node), cy: yy, r: 3 }, g);
        el("title", {}, shape, e.text);
      }
    });
    // Datagrams.
    DATA.flights.forEach(function (f, i) {
      var g = el("g", { "class": "arrow f-" + f.fate + (f.violation ? " violation" : "") + (i === state.selected ? " selected" : ""), "data-i": i }, svg);
      var x0 = laneX(f.from), x1 = laneX(f.to), y0 = y(f.sent_us);
      var y1 = f.end_us === null ? y(DATA.end_us) : y(f.end_us);
      if (f.fate === "dropped") { x1 = (x0 + x1) / 2; y1 = Math.max(y1, y0 + ROW / 2); }
      if (y1 <= y0 && x1 !== x0) y1 = y0 + 2;
      el("line", { "class": "hit", x1: x0, y1: y0, x2: x1, y2: y1 }, g);
      el("line", { "class": "shaft", x1: x0, y1: y0, x2: x1, y2: y1, "marker-end": f.fate === "dropped" ? "" : "url(#head-" + f.fate + ")" }, g);
      if (f.fate === "dropped") {
        el("path", { "class": "cross", d: "M" + (x1 - 4) + "," + (y1 - 4) + "l8,8m0,-8l-8,8" }, g);
      }
      var retry = f.tx && f.tx.indexOf("retransmit") === 0 ? " \u21bb" + f.tx.slice(11) : "";
      el("text", { "class": "label", x: (x0 + x1) / 2, y: (y0 + y1) / 2 - 3, "text-anchor": "middle" }, g, f.label + retry);
      el("title", {}, g, f.from + " \u2192 " + f.to + " " + f.label + ": " + f.fate);
      g.addEventListener("click", function () { select(i); });
    });
    // Violations and failed steps, in red.
    DATA.marks.forEach(function (m, k) {
      var g = el("g", { "class": "markg", "data-m": k }, svg), yy = y(m.at_us);
      if (m.node && DATA.nodes.indexOf(m.node) >= 0) {
        el("circle", { "class": "mark", cx: laneX(m.node), cy: yy, r: 7 }, g);
      } else {
        el("line", { "class": "mark-line", x1: AXIS, x2: W - GUTTER, y1: yy, y2: yy }, g);
      }
      el("text", { "class": "mark-text", x: AXIS + 4, y: yy + 13 }, g, (m.kind === "violation" ? "violation: " : "step failed: ") + m.text);
      el("title", {}, g, m.text);
      if (m.flight !== null) g.addEventListener("click", function () { select(m.flight); });
    });
    // Sticky time axis labels and lane names, kept in view by onScroll.
    var axisLabels = el("g", { id: "axis-labels" }, svg);
    el("rect", { "class": "sticky-bg", x: 0, y: 0, width: AXIS - 2, height: H }, axisLabels);
    ticks.forEach(function (tk) {
      el("text", { "class": "tick", x: AXIS - 6, y: tk[0] + 4, "text-anchor": "end" }, axisLabels, tk[1]);
    });
    var laneNames = el("g", { id: "lane-names" }, svg);
    el("rect", { "class": "sticky-bg", x: 0, y: 0, width: W, height: 26 }, laneNames);
    DATA.nodes.forEach(function (n) {
      el("text", { "class": "lane-name", x: laneX(n), y: 18, "text-anchor": "middle" }, laneNames, n);
    });
    el("text", { "class": "lane-name", x: W - GUTTER + 8, y: 18 }, laneNames, "exchanges");
    box.onscroll = onScroll;
    onScroll();
    apply();
  }

  function onScroll() {
    var box = document.getElementById("timeline");
    var a = document.getElementById("axis-labels"), l = document.getElementById("lane-names");
    if (a) a.setAttribute("transform", "translate(" + box.scrollLeft + ",0)");
    if (l) l.setAttribute("transform", "translate(0," + box.scrollTop + ")");
  }

  // Places each shown arrow's label at the first of a few spots along the arrow where it
  // overlaps no label placed before it; a label with no free spot is hidden (class crowded)
  // and shows when its arrow is hovered or selected.
  function placeLabels() {
    var placed = [];
    var svg = document.getElementById("chart");
    svg.querySelectorAll("g.arrow").forEach(function (g) {
      var t = g.querySelector("text.label"), line = g.querySelector("line.shaft");
      if (!t || !line) return;
      t.classList.remove("crowded");
      if (g.classList.contains("hidden")) return;
      var x0 = Number(line.getAttribute("x1")), y0 = Number(line.getAttribute("y1"));
      var x1 = Number(line.getAttribute("x2")), y1 = Number(line.getAttribute("y2"));
      var spots = [0.5, 0.3, 0.7, 0.18, 0.82];
      for (var k = 0; k < spots.length; k++) {
        t.setAttribute("x", x0 + (x1 - x0) * spots[k]);
        t.setAttribute("y", y0 + (y1 - y0) * spots[k] - 3);
        var b = t.getBBox();
        if (!placed.some(function (p) { return overlaps(p, b); })) { placed.push(b); return; }
      }
      t.setAttribute("x", (x0 + x1) / 2);
      t.setAttribute("y", (y0 + y1) / 2 - 3);
      t.classList.add("crowded");
    });
  }
  function overlaps(a, b) {
    return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  }

  function jumpToFailure() {
    var m = firstFailure();
    if (!m) return;
    var box = document.getElementById("timeline");
    var target = m.flight !== null ? DATA.flights[m.flight] : null;
    if (target && !visible(target)) {
      // Clear the filters that hide it.
      state.node = state.session = state.exchange = "";
      state.hiddenFates = {};
      document.querySelectorAll("#controls select[id^=filter-]").forEach(function (s) { s.value = ""; });
      document.querySelectorAll("#controls input[type=checkbox]").forEach(function (b) { b.checked = true; });
      apply();
    }
    box.scrollTop = Math.max(0, y(m.at_us) - box.clientHeight / 3);
    if (m.node && DATA.nodes.indexOf(m.node) >= 0) {
      box.scrollLeft = Math.max(0, laneX(m.node) - box.clientWidth / 2);
    }
    onScroll();
    document.querySelectorAll("#chart g.markg.current").forEach(function (g) { g.classList.remove("current"); });
    var mg = document.querySelector("#chart g.markg[data-m=\"" + DATA.marks.indexOf(m) + "\"]");
    if (mg) mg.classList.add("current");
    if (m.flight !== null) select(m.flight);
  }

  function visible(f) {
    if (state.hiddenFates[f.fate]) return false;
    if (state.node && f.from !== state.node && f.to !== state.node) return false;
    if (state.session && f.session !== state.session) return false;
    if (state.exchange && f.exchange !== state.exchange) return false;
    return true;
  }
  function apply() {
    var svg = document.getElementById("chart");
    if (!svg) return;
    svg.querySelectorAll("g.arrow").forEach(function (g) {
      g.classList.toggle("hidden", !visible(DATA.flights[Number(g.getAttribute("data-i"))]));
    });
    var narrowed = state.session || state.exchange;
    svg.querySelectorAll("g.ev").forEach(function (g) {
      var e = DATA.events[Number(g.getAttribute("data-e"))];
      g.classList.toggle("hidden", !!narrowed || (!!state.node && e.node !== state.node && e.node !== "sim"));
    });
    svg.querySelectorAll("rect.session").forEach(function (r) {
      var s = DATA.sessions[Number(r.getAttribute("data-s"))];
      r.classList.toggle("hidden", (!!state.node && s.node !== state.node) || (!!state.session && s.key !== state.session) || !!state.exchange);
    });
    svg.querySelectorAll("rect.exchange").forEach(function (r) {
      var x = DATA.exchanges[Number(r.getAttribute("data-x"))];
      r.classList.toggle("hidden", !!state.exchange && x.key !== state.exchange);
    });
    placeLabels();
  }

  function row(table, name, value, cls) {
    var tr = h("tr", {}, table);
    h("th", {}, tr, name);
    h("td", cls ? { "class": cls } : {}, tr, value === null || value === undefined ? "-" : String(value));
  }
  function select(i) {
    var f = DATA.flights[i];
    if (!f) return;
    state.selected = i;
    document.querySelectorAll("g.arrow.selected").forEach(function (g) { g.classList.remove("selected"); });
    var g = document.querySelector('g.arrow[data-i="' + i + '"]');
    if (g) g.classList.add("selected");
    var d = document.getElementById("details");
    d.textContent = "";
    h("h2", { id: "details-title" }, d, f.from + " \u2192 " + f.to + "  " + f.label);
    var t = h("table", {}, d);
    row(t, "fate", f.fate, f.violation || f.fate === "undecryptable" ? "bad" : "");
    if (f.violation) row(t, "oracle", "an oracle violation names this datagram", "bad");
    row(t, "sent", ms(f.sent_us) + (f.tx ? " (" + f.tx + ")" : ""));
    row(t, "network", f.net.length ? f.net.join("; ") : "passed");
    row(t, f.rx ? "arrived" : "ended", f.rx ? ms(f.end_us) + " (" + f.rx + ")" : (f.end_us === null ? "in flight at the end" : ms(f.end_us)));
    var hd = f.header;
    if (hd) {
      row(t, "session id", hd.session_id === 0 ? "0 (unsecured)" : hd.session_id);
      row(t, "message counter", hd.counter);
      if (hd.exchange) {
        var x = hd.exchange;
        row(t, "exchange id", x.exchange_id + (x.initiator ? " (initiator)" : " (responder)"));
        row(t, "flags", (x.initiator ? "I" : "-") + (x.ack !== undefined ? "A" : "-") + (x.reliable ? "R" : "-"));
        if (x.ack !== undefined) row(t, "ack counter", x.ack);
        row(t, "opcode", x.protocol + "/" + x.opcode);
      }
      if (hd.opaque) row(t, "payload", hd.opaque === "no-key" ? "encrypted (no key at the receiver)" : hd.opaque);
    }
    row(t, "session", f.session);
    row(t, "exchange", f.exchange);
    row(t, "addresses", f.addresses);
    row(t, "length", f.hex.length / 2 + " bytes");
    h("h2", {}, d, "decoded");
    h("pre", { id: "details-decoded" }, d, f.decoded);
    h("h2", {}, d, "bytes");
    h("pre", {}, d, f.hex.replace(/(.{32})/g, "$1\n"));
  }

  function report() {
    var r = document.getElementById("report");
    h("h2", {}, r, "verdict");
    h("pre", { "class": DATA.passed ? "good" : "bad" }, r, DATA.verdict_text);
    if (DATA.steps.length) {
      h("h2", {}, r, "steps");
      var t = h("table", {}, r);
      DATA.steps.forEach(function (s) {
        var tr = h("tr", {}, t);
        h("td", { "class": s.ok ? "good" : "bad" }, tr, s.ok ? "ok" : "FAIL");
        h("td", {}, tr, "line " + s.line);
        h("td", {}, tr, s.description);
        h("td", {}, tr, s.status);
        h("td", {}, tr, s.finished_us === null ? "" : ms(s.finished_us));
      });
    }
    var violations = DATA.marks.filter(function (m) { return m.kind === "violation"; });
    if (violations.length) {
      h("h2", {}, r, "oracle violations");
      violations.forEach(function (m) { h("pre", { "class": "bad" }, r, m.text); });
    }
  }

  // Pairs of shown labels whose boxes overlap (0 when placeLabels did its job).
  function labelOverlaps() {
    var boxes = [];
    document.querySelectorAll("#chart g.arrow:not(.hidden) text.label:not(.crowded)").forEach(function (t) { boxes.push(t.getBBox()); });
    var n = 0;
    for (var a = 0; a < boxes.length; a++) for (var b = a + 1; b < boxes.length; b++) if (overlaps(boxes[a], boxes[b])) n++;
    return n;
  }

  function selftest() {
    var labels = {
      shown: document.querySelectorAll("#chart g.arrow:not(.hidden) text.label:not(.crowded)").length,
      crowded: document.querySelectorAll("#chart text.label.crowded").length,
      overlapping: labelOverlaps()
    };
    var box = document.getElementById("timeline");
    box.scrollLeft = 300;
    onScroll();
    var sticky = {
      scroll_left: box.scrollLeft,
      axis: document.getElementById("axis-labels").getAttribute("transform"),
      lanes: document.getElementById("lane-names").getAttribute("transform")
    };
    box.scrollLeft = 0;
    onScroll();
    var arrows = document.querySelectorAll("#chart g.arrow");
    var fates = {};
    arrows.forEach(function (g) {
      var f = DATA.flights[Number(g.getAttribute("data-i"))];
      fates[f.fate] = (fates[f.fate] || 0) + 1;
    });
    if (arrows.length) arrows[0].dispatchEvent(new MouseEvent("click", { bubbles: true }));
    var title = document.getElementById("details-title");
    var decoded = document.getElementById("details-decoded");
    var result = {
      arrows: arrows.length,
      flights: DATA.flights.length,
      fates: fates,
      selected: document.querySelectorAll("#chart g.arrow.selected").length,
      title: title ? title.textContent : null,
      details: document.getElementById("details").innerText,
      decoded: decoded ? decoded.textContent : null,
      marks: document.querySelectorAll("#chart .mark, #chart .mark-line").length,
      violations: document.querySelectorAll("#chart g.arrow.violation").length,
      labels: labels,
      lanes: DATA.nodes.length,
      lane_width: LANE,
      chart_width: Number(document.getElementById("chart").getAttribute("width")),
      timeline_width: box.clientWidth,
      sticky: sticky
    };
    var jump = document.getElementById("jump-failure");
    result.jump = { enabled: !jump.disabled, text: jump.textContent };
    if (!jump.disabled) {
      jump.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      var first = firstFailure();
      result.jump.first_at_us = first.at_us;
      result.jump.first_flight = first.flight;
      result.jump.selected = state.selected;
      result.jump.current = document.querySelectorAll("#chart g.markg.current").length;
      result.jump.scroll_top = box.scrollTop;
      result.jump.mark_y = y(first.at_us);
      result.jump.view_height = box.clientHeight;
    }
    document.getElementById("selftest-result").textContent = JSON.stringify(result);
  }

  header();
  controls();
  draw();
  report();
  if (location.hash === "#selftest") selftest();
})();
