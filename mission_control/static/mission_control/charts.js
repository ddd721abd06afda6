/* Mission Control charts: a small SVG line-chart renderer, no build step, no dependencies.
 *
 * Every [data-mc-chart-source] element names a JSON URL ({times: [ms...], series: {name:
 * [number|null...]}, totals: {...}}); each <figure data-series="a b"> inside it is drawn from
 * those series into its <svg>, and the JSON is polled every 5 s (paused while the tab is hidden
 * or "Auto-refresh" is unticked). Text from the server is only ever set with textContent, so
 * class names stay inert. Each drawn path carries data-sum and data-last for tests and tools.
 */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var W = 520, H = 180, LEFT = 46, RIGHT = 10, TOP = 10, BOTTOM = 24;
  var SECONDS = 5;

  function node(name, attrs, parent) {
    var element = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (key) { element.setAttribute(key, String(attrs[key])); });
    if (parent) { parent.appendChild(element); }
    return element;
  }

  function niceMax(value) {
    if (!(value > 0)) { return 1; }
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var n = value / power;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * power;
  }

  // Grid lines at round values: 0-50 in tens, 0-5 in ones, 0-2 in halves, 0-1 in fifths.
  function gridSteps(top) {
    var lead = Math.round(top / Math.pow(10, Math.floor(Math.log10(top))));
    return lead === 2 ? 4 : 5;
  }

  function format(value) {
    if (value === null || value === undefined) { return "–"; }
    if (Number.isInteger(value)) { return String(value); }
    if (Math.abs(value) >= 100) { return value.toFixed(0); }
    if (Math.abs(value) >= 10) { return value.toFixed(1); }
    return String(Math.round(value * 100) / 100);
  }

  function timeFormat(zone, withDate) {
    var options = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (withDate) { options.month = "short"; options.day = "numeric"; }
    try {
      return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: zone || "UTC" }, options));
    } catch (e) {
      return new Intl.DateTimeFormat(undefined, options);
    }
  }

  function pathData(times, values, x, y) {
    var d = "", open = false;
    values.forEach(function (value, i) {
      if (value === null || value === undefined) { open = false; return; }
      d += (open ? " L" : (d ? " M" : "M")) + x(times[i]).toFixed(1) + " " + y(value).toFixed(1);
      open = true;
    });
    return d;
  }

  function draw(svg, data, names, zone) {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var times = data.times || [];
    var all = [];
    names.forEach(function (name) {
      (data.series[name] || []).forEach(function (v) { if (v !== null && v !== undefined) { all.push(v); } });
    });
    var top = niceMax(Math.max.apply(null, all.concat([0])));
    var first = times[0] || 0, last = times[times.length - 1] || 1;
    var x = function (t) { return LEFT + (W - LEFT - RIGHT) * (last > first ? (t - first) / (last - first) : 1); };
    var y = function (v) { return TOP + (H - TOP - BOTTOM) * (1 - v / top); };
    var steps = gridSteps(top);
    for (var i = 0; i <= steps; i += 1) {
      var value = top * i / steps;
      node("line", { x1: LEFT, x2: W - RIGHT, y1: y(value), y2: y(value), "class": "mc-grid" }, svg);
      node("text", { x: LEFT - 4, y: y(value) + 3, "text-anchor": "end", "class": "mc-axis" }, svg)
        .textContent = format(value);
    }
    var long = last - first > 6 * 3600 * 1000;
    var labels = timeFormat(zone, long);
    var ticks = last > first ? 4 : 0;
    for (var j = 0; j <= ticks && times.length; j += 1) {
      var t = ticks ? first + (last - first) * j / ticks : last;
      var anchor = j === ticks ? "end" : j === 0 ? "start" : "middle";
      node("text", { x: x(t), y: H - 6, "text-anchor": anchor, "class": "mc-axis" }, svg)
        .textContent = labels.format(new Date(t));
    }
    names.forEach(function (name) {
      var values = data.series[name] || [];
      var present = values.filter(function (v) { return v !== null && v !== undefined; });
      var sum = present.reduce(function (a, b) { return a + b; }, 0);
      var lastValue = present.length ? present[present.length - 1] : null;
      node("path", {
        d: pathData(times, values, x, y), "class": "mc-series mc-line-" + name, fill: "none",
        "data-series": name, "data-sum": Math.round(sum * 10000) / 10000,
        "data-last": lastValue === null ? "" : lastValue, "data-points": present.length
      }, svg);
      if (present.length <= 3) { // too few points for a visible line: mark each one
        values.forEach(function (v, k) {
          if (v !== null && v !== undefined) {
            node("circle", { cx: x(times[k]), cy: y(v), r: 3, "class": "mc-dot mc-fill-" + name }, svg);
          }
        });
      }
    });
  }

  function render(container, data) {
    var zone = container.getAttribute("data-mc-time-zone");
    container.querySelectorAll("figure[data-series]").forEach(function (figure) {
      var names = figure.getAttribute("data-series").split(/\s+/).filter(Boolean);
      var svg = figure.querySelector("svg");
      if (svg) { draw(svg, data, names, zone); }
      names.forEach(function (name) {
        var values = (data.series[name] || []).filter(function (v) { return v !== null && v !== undefined; });
        var label = figure.querySelector('[data-mc-last="' + name + '"]');
        if (label) { label.textContent = format(values.length ? values[values.length - 1] : null); }
      });
    });
    Object.keys(data.totals || {}).forEach(function (name) {
      container.querySelectorAll('[data-mc-total="' + name + '"]').forEach(function (element) {
        element.textContent = String(data.totals[name]);
      });
    });
    container.setAttribute("data-mc-drawn", String(Date.now()));
  }

  function poll(container) {
    var source = container.getAttribute("data-mc-chart-source");
    var busy = false;
    function tick(force) {
      var toggle = document.getElementById("mc-autorefresh");
      if (busy || (!force && (document.hidden || (toggle && !toggle.checked)))) { return; }
      busy = true;
      fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok || response.redirected) { throw new Error("charts " + response.status); }
          return response.json();
        })
        .then(function (data) { render(container, data); })
        .catch(function () { /* keep the charts drawn; try again next tick */ })
        .then(function () { busy = false; });
    }
    tick(true);
    window.setInterval(tick, SECONDS * 1000);
  }

  document.querySelectorAll("[data-mc-chart-source]").forEach(poll);
}());
