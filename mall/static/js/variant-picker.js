/*
 * Product page: choosing a variant shows its price, compare-at price, stock state and SKU
 * in place, and puts ?variant=<id> in the address (the page the server renders for it).
 * The CSP forbids inline scripts, so each variant's facts ride on its <option> as data-*;
 * without this script the picker still adds the chosen variant, and its URL shows it.
 */
(function () {
  "use strict";

  function show(option) {
    var data = option.dataset;
    var price = document.getElementById("product-price");
    var compareAt = document.getElementById("product-compare-at");
    var stock = document.getElementById("stock-state");
    var sku = document.getElementById("product-sku");
    if (price) price.textContent = data.price;
    if (compareAt) {
      compareAt.querySelector(".amount").textContent = data.compareAt || "";
      compareAt.hidden = !data.compareAt;
    }
    if (stock) {
      stock.textContent = data.stockLabel;
      stock.className = "stock-state stock-" + data.stock;
    }
    if (sku) sku.textContent = data.sku;
  }

  function start() {
    var select = document.getElementById("variant-select");
    if (!select) return;
    var chosen = function () {
      return select.options[select.selectedIndex];
    };
    // A page restored from history may come back with another option chosen: show that one.
    if (chosen() && chosen().dataset.price) show(chosen());
    select.addEventListener("change", function () {
      var option = chosen();
      if (!option || !option.dataset.price) return;
      show(option);
      var url = new URL(window.location.href);
      url.searchParams.set("variant", option.value);
      window.history.replaceState(null, "", url);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
