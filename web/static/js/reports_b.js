/* The Pareto curve of the value concentration report: <figure data-chart="pareto"> drawn with
   ECharts from its JSON island (points [share of customers %, share of value %]); the table next
   to it has the same figures. reports.js draws the other kinds. */
(function () {
  "use strict";

  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll('figure[data-chart="pareto"]').forEach(function (figure) {
      var island = document.getElementById(figure.getAttribute("data-source"));
      var canvas = figure.querySelector(".report-chart-canvas");
      var d;
      try { d = JSON.parse(island.textContent); } catch (e) { return; }
      if (!d || !canvas) { return; }
      figure.classList.add("report-chart-ready");
      var chart = window.echarts.init(canvas, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        grid: { left: 28, right: 24, top: 24, bottom: 40, containLabel: true },
        tooltip: { trigger: "axis", renderMode: "richText", confine: true,
                   formatter: function (p) {
                     return d.x_label + ": " + p[0].value[0] + "\n" + d.y_label + ": " + p[0].value[1];
                   } },
        xAxis: { type: "value", min: 0, max: 100, name: d.x_label, nameLocation: "middle", nameGap: 26 },
        yAxis: { type: "value", min: 0, max: 100, name: d.y_label, nameLocation: "middle",
                 nameGap: 34 },
        series: [
          { type: "line", name: d.name, showSymbol: false, data: d.points, areaStyle: { opacity: 0.15 } },
          { type: "line", name: "", silent: true, showSymbol: false, data: [[0, 0], [100, 100]],
            lineStyle: { type: "dashed", color: "#999" } }
        ]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); }
  else { draw(); }
})();
