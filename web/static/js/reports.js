/* Report charts: each <figure data-chart="kind" data-source="id"> is drawn with ECharts from
   the JSON island <script type="application/json" id="id"> (data, never executed). Clicking a
   bar, cell, point or link opens the drill-down URL carried in the data. The table next to each
   chart has the same figures, so the page reads without this script. */
(function () {
  "use strict";

  function readData(figure) {
    var island = document.getElementById(figure.getAttribute("data-source"));
    if (!island) { return null; }
    try { return JSON.parse(island.textContent); } catch (e) { return null; }
  }

  function go(url) { if (url) { window.location.assign(url); } }

  var tooltipBase = { renderMode: "richText", confine: true };

  /* The longest label of a list, in characters (a CJK character counts twice: it is about
     twice as wide as a Latin letter). */
  function longest(labels) {
    var most = 0;
    labels.forEach(function (text) {
      var n = 0;
      String(text).split("").forEach(function (ch) { n += ch.charCodeAt(0) > 0x2e80 ? 2 : 1; });
      if (n > most) { most = n; }
    });
    return most;
  }

  function scatter(d, narrow) {
    var series = d.series.map(function (s, i) {
      var item = {
        type: "scatter", name: s.name, symbolSize: d.total > 2000 ? 4 : 7,
        large: d.total > 2000, itemStyle: s.color ? { color: s.color } : undefined,
        data: s.points.map(function (p) { return { value: [p[0], p[1]], name: p[2], url: p[3] }; })
      };
      if (i === 0 && (d.split_x !== null || d.split_y !== null)) {
        var lines = [];
        if (d.split_x !== null) { lines.push({ xAxis: d.split_x }); }
        if (d.split_y !== null) { lines.push({ yAxis: d.split_y }); }
        item.markLine = { silent: true, symbol: "none", label: { show: false },
                          lineStyle: { type: "dashed", color: "#555" }, data: lines };
      }
      return item;
    });
    return {
      animation: false,
      legend: { top: 0, type: narrow ? "plain" : "scroll" },
      grid: { left: 48, right: 16, top: narrow ? 56 : 40, bottom: 48 },
      tooltip: Object.assign({ trigger: "item", formatter: function (p) {
        return p.name + "\n" + d.x_label + ": " + p.value[0] + "\n" + d.y_label + ": " + p.value[1];
      } }, tooltipBase),
      xAxis: { type: "value", name: d.x_label, nameLocation: "middle", nameGap: 28, scale: true },
      yAxis: { type: "value", name: d.y_label, nameLocation: "middle", nameGap: 36, scale: true },
      series: series
    };
  }

  function grid(d, narrow, width) {
    /* A heatmap of counts: x and y categories, cells [ix, iy, count, url]. On a phone the
       axis names are left out (the figure's caption and the table beside say them) and the
       column labels wrap under their column instead of turning. */
    var max = 1;
    d.cells.forEach(function (c) { if (c[2] > max) { max = c[2]; } });
    var column = Math.max(40, ((width || 320) - 110) / Math.max(1, d.x.length));
    var turn = !narrow && (d.x.length > 6 || longest(d.x) * 6.5 > column);
    var rowLabel = Math.min(110, longest(d.y) * 6.5 + 8);   /* the y axis name goes beyond */
    return {
      animation: false,
      grid: narrow ? { left: 4, right: 8, top: 8, bottom: 8, containLabel: true }
                   : { left: rowLabel + 36, right: 16, top: 16, bottom: turn ? 110 : 64 },
      tooltip: Object.assign({ trigger: "item", formatter: function (p) {
        return d.y[p.value[1]] + " → " + d.x[p.value[0]] + "\n" + p.value[2];
      } }, tooltipBase),
      xAxis: { type: "category", data: d.x, name: narrow ? "" : d.x_label, nameLocation: "middle",
               nameGap: turn ? 64 : 40,
               axisLabel: turn ? { interval: 0, rotate: 45 }
                          /* many columns on a phone (the density grid's bins): every few */
                          : d.x.length > 8 ? { interval: "auto", hideOverlap: true }
                          : { interval: 0, width: column - 4, overflow: "break" } },
      yAxis: { type: "category", data: d.y, name: narrow ? "" : d.y_label, nameLocation: "middle",
               nameGap: rowLabel + 14, inverse: !!d.y_inverse,
               axisLabel: { width: narrow ? 72 : rowLabel, overflow: "break" } },
      visualMap: { min: 0, max: max, show: false, inRange: { color: ["#f3f6fa", "#1f6feb"] } },
      series: [{ type: "heatmap", label: { show: d.x.length <= 12 },
                 data: d.cells.map(function (c) { return { value: [c[0], c[1], c[2]], url: c[3] }; }) }]
    };
  }

  function bars(d, narrow) {
    /* Stacked horizontal bars. The value axis is named under its middle (at its end the name
       is cut off at the right edge); on a phone the legend wraps instead of paging. */
    var rows = Math.ceil(d.series.length / 2);
    return {
      animation: false,
      legend: narrow ? { top: 0, type: "plain", itemGap: 8 } : { top: 0, type: "scroll" },
      grid: { left: 8, right: 24, top: narrow ? 8 + 24 * rows : 40,
              bottom: d.value_label ? 28 : 8, containLabel: true },
      tooltip: Object.assign({ trigger: "item", formatter: function (p) {
        return p.name + "\n" + p.seriesName + ": " + p.value;
      } }, tooltipBase),
      xAxis: { type: "value", name: d.value_label, nameLocation: "middle", nameGap: 26,
               axisLabel: { hideOverlap: true } },
      yAxis: { type: "category", data: d.categories, inverse: true,
               axisLabel: { width: narrow ? 96 : 170, overflow: "truncate" } },
      series: d.series.map(function (s) {
        return { type: "bar", stack: "total", name: s.name,
                 itemStyle: s.color ? { color: s.color } : undefined,
                 data: s.values.map(function (v, i) { return { value: v, url: s.urls[i] }; }) };
      })
    };
  }

  function sankey(d, narrow) {
    /* Room on the right for the labels of the last step's nodes (left out on a phone). */
    var last = 0;
    d.nodes.forEach(function (n) { if (n.depth > last) { last = n.depth; } });
    var right = Math.min(240, 16 + 6.5 * longest(d.nodes.filter(function (n) {
      return n.depth === last; }).map(function (n) { return n.name; })));
    return {
      animation: false,
      tooltip: Object.assign({ trigger: "item", formatter: function (p) {
        if (p.dataType === "edge") { return p.data.source + " → " + p.data.target + "\n" + p.data.value; }
        return p.name + "\n" + p.value;
      } }, tooltipBase),
      series: [{
        type: "sankey", left: 8, right: narrow ? 8 : right, label: { show: !narrow }, top: 8, bottom: 8, nodeAlign: "left",
        emphasis: { focus: "adjacency" }, lineStyle: { color: "gradient", opacity: 0.4 },
        data: d.nodes.map(function (n) { return { name: n.name, depth: n.depth, itemStyle: n.color ? { color: n.color } : undefined }; }),
        links: d.links
      }]
    };
  }

  var builders = { scatter: scatter, density: grid, heatmap: grid, bars: bars, sankey: sankey };

  function paintSwatches() {
    document.querySelectorAll(".report-swatch[data-color]").forEach(function (el) {
      var color = el.getAttribute("data-color");
      if (/^#[0-9a-fA-F]{3,8}$/.test(color)) { el.style.backgroundColor = color; }
    });
  }

  function draw() {
    paintSwatches();
    if (!window.echarts) { return; }
    document.querySelectorAll("figure[data-chart]").forEach(function (figure) {
      var kind = figure.getAttribute("data-chart");
      var data = readData(figure);
      var build = builders[kind];
      var canvas = figure.querySelector(".report-chart-canvas");
      if (!data || !build || !canvas) { return; }
      figure.classList.add("report-chart-ready");
      var narrow = canvas.clientWidth < 500;
      if (kind === "bars") {
        var n = data.categories.length;
        var legend = narrow ? 24 * Math.ceil(data.series.length / 2) : 0;
        canvas.style.height = Math.max(200, legend + 80 + (n > 12 ? 24 : 44) * n) + "px";
      }
      var chart = window.echarts.init(canvas, null, { renderer: "canvas" });
      chart.setOption(build(data, narrow, canvas.clientWidth));
      chart.on("click", function (p) { if (p.data && p.data.url) { go(p.data.url); } });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); }
  else { draw(); }
})();
