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

  function scatter(d) {
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
      legend: { top: 0, type: "scroll" }, grid: { left: 48, right: 16, top: 40, bottom: 48 },
      tooltip: Object.assign({ trigger: "item", formatter: function (p) {
        return p.name + "\n" + d.x_label + ": " + p.value[0] + "\n" + d.y_label + ": " + p.value[1];
      } }, tooltipBase),
      xAxis: { type: "value", name: d.x_label, nameLocation: "middle", nameGap: 28, scale: true },
      yAxis: { type: "value", name: d.y_label, nameLocation: "middle", nameGap: 36, scale: true },
      series: series
    };
  }

  function grid(d, narrow) {
    /* A heatmap of counts: x and y categories, cells [ix, iy, count, url]. */
    var max = 1;
    d.cells.forEach(function (c) { if (c[2] > max) { max = c[2]; } });
    return {
      grid: { left: 96, right: 16, top: 16, bottom: 64, containLabel: true },
      tooltip: Object.assign({ trigger: "item", formatter: function (p) {
        return d.y[p.value[1]] + " → " + d.x[p.value[0]] + "\n" + p.value[2];
      } }, tooltipBase),
      xAxis: { type: "category", data: d.x, name: d.x_label, nameLocation: "middle", nameGap: 40,
               axisLabel: { interval: 0, rotate: (narrow || d.x.length > 6) ? 45 : 0 } },
      yAxis: { type: "category", data: d.y, name: d.y_label, nameLocation: "middle", nameGap: 80,
               inverse: !!d.y_inverse },
      visualMap: { min: 0, max: max, show: false, inRange: { color: ["#f3f6fa", "#1f6feb"] } },
      series: [{ type: "heatmap", label: { show: d.x.length <= 12 },
                 data: d.cells.map(function (c) { return { value: [c[0], c[1], c[2]], url: c[3] }; }) }]
    };
  }

  function bars(d) {
    return {
      legend: { top: 0, type: "scroll" }, grid: { left: 16, right: 16, top: 40, bottom: 16, containLabel: true },
      tooltip: Object.assign({ trigger: "item", formatter: function (p) {
        return p.name + "\n" + p.seriesName + ": " + p.value;
      } }, tooltipBase),
      xAxis: { type: "value", name: d.value_label },
      yAxis: { type: "category", data: d.categories, inverse: true,
               axisLabel: { width: 110, overflow: "truncate" } },
      series: d.series.map(function (s) {
        return { type: "bar", stack: "total", name: s.name,
                 itemStyle: s.color ? { color: s.color } : undefined,
                 data: s.values.map(function (v, i) { return { value: v, url: s.urls[i] }; }) };
      })
    };
  }

  function sankey(d, narrow) {
    return {
      tooltip: Object.assign({ trigger: "item", formatter: function (p) {
        if (p.dataType === "edge") { return p.data.source + " → " + p.data.target + "\n" + p.data.value; }
        return p.name + "\n" + p.value;
      } }, tooltipBase),
      series: [{
        type: "sankey", left: 8, right: narrow ? 8 : 140, label: { show: !narrow }, top: 8, bottom: 8, nodeAlign: "left",
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
      if (kind === "bars") {
        var n = data.categories.length;
        canvas.style.height = Math.max(200, 80 + (n > 12 ? 24 : 44) * n) + "px";
      }
      var chart = window.echarts.init(canvas, null, { renderer: "canvas" });
      chart.setOption(build(data, canvas.clientWidth < 500));
      chart.on("click", function (p) { if (p.data && p.data.url) { go(p.data.url); } });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); }
  else { draw(); }
})();
