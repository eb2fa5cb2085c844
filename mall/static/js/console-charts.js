/*
 * Operator console charts. The CSP forbids inline scripts, so each chart's data
 * rides on its <canvas> as JSON in data-series ({labels, datasets: [{label, data}]});
 * the same numbers are in a table next to it, so nothing depends on this script.
 */
(function () {
  "use strict";

  var COLOURS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1"];

  function draw(canvas) {
    var series;
    try {
      series = JSON.parse(canvas.dataset.series);
    } catch (error) {
      return; // the table still shows the numbers
    }
    var datasets = series.datasets.map(function (set, index) {
      var colour = COLOURS[index % COLOURS.length];
      return {
        label: set.label,
        data: set.data,
        borderColor: colour,
        backgroundColor: colour,
        tension: 0.2,
        pointRadius: 2
      };
    });
    new window.Chart(canvas, {
      type: "line",
      data: { labels: series.labels, datasets: datasets },
      options: {
        responsive: true,
        aspectRatio: 3,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  function init() {
    if (typeof window.Chart === "undefined") {
      return;
    }
    document.querySelectorAll("canvas[data-series]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
