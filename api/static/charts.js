/* Draws every element carrying data-chart with Apache ECharts (served from /static/vendor).
   The spec is written by the server: {kind, horizontal, categories, series:[{name, data, colors}]}
   for bars and pies; {kind: "step", renderer, levels, points:[[date, level]], name, color} for
   one value stepping along a time axis. */
(function () {
  "use strict";
  var FONT = getComputedStyle(document.body).fontFamily;

  function pie(spec) {
    var s = spec.series[0];
    return {
      color: s.colors,
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0, type: "scroll", icon: "circle" },
      series: [{
        name: s.name,
        type: "pie",
        radius: ["42%", "70%"],
        center: ["50%", "46%"],
        avoidLabelOverlap: true,
        itemStyle: { borderColor: "#fff", borderWidth: 2 },
        label: { formatter: "{b}\n{c}" },
        data: spec.categories.map(function (name, i) { return { name: name, value: s.data[i] }; })
      }]
    };
  }

  function bars(spec) {
    var category = {
      type: "category",
      data: spec.categories,
      axisTick: { alignWithLabel: true },
      axisLabel: { hideOverlap: true }
    };
    var value = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef1f5" } } };
    if (spec.horizontal) { category.inverse = true; }
    return {
      color: spec.series.map(function (s) { return s.colors[0]; }),
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0, icon: "roundRect" },
      grid: { left: 12, right: 24, top: 16, bottom: 40, containLabel: true },
      xAxis: spec.horizontal ? value : category,
      yAxis: spec.horizontal ? category : value,
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: "bar",
          stack: "total",
          barMaxWidth: spec.horizontal ? 22 : 34,
          emphasis: { focus: "series" },
          data: s.data
        };
      })
    };
  }

  function steps(spec) {
    return {
      animation: false,
      color: [spec.color],
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis" },
      grid: { left: 12, right: 24, top: 16, bottom: 28, containLabel: true },
      xAxis: { type: "time", splitLine: { show: false } },
      yAxis: {
        type: "category",
        data: spec.levels,
        boundaryGap: false,
        splitLine: { show: true, lineStyle: { color: "#eef1f5" } }
      },
      series: [{
        name: spec.name,
        type: "line",
        step: "start",
        symbolSize: 8,
        lineStyle: { width: 3 },
        data: spec.points
      }]
    };
  }

  function options(spec) {
    if (spec.kind === "pie") { return pie(spec); }
    if (spec.kind === "step") { return steps(spec); }
    return bars(spec);
  }

  function draw() {
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = JSON.parse(el.getAttribute("data-chart"));
      var renderer = spec.renderer === "canvas" ? "canvas" : "svg";
      var chart = echarts.init(el, null, { renderer: renderer });
      chart.setOption(options(spec));
      el.setAttribute("data-chart-ready", "true");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
