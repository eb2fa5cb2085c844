/*
 * Money charts (a shop's net sales per week, the operator's revenue). The CSP
 * forbids inline scripts, so each chart's data rides on its <canvas> as JSON in
 * data-money-series ({labels, datasets: [{label, data}]}), amounts in major
 * units; the same numbers are in a table next to it, so nothing depends on this.
 */
(function () {
  "use strict";

  var COLOURS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545"];

  function draw(canvas) {
    var series;
    try {
      series = JSON.parse(canvas.dataset.moneySeries);
    } catch (error) {
      return; // the table still shows the numbers
    }
    var datasets = series.datasets.map(function (set, index) {
      var colour = COLOURS[index % COLOURS.length];
      return { label: set.label, data: set.data, borderColor: colour, backgroundColor: colour };
    });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: datasets },
      options: {
        responsive: true,
        aspectRatio: 3,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true } },
        plugins: { legend: { display: datasets.length > 1, position: "bottom" } }
      }
    });
  }

  function init() {
    if (typeof window.Chart === "undefined") {
      return;
    }
    document.querySelectorAll("canvas[data-money-series]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
