/*
 * Copy buttons: <button data-copy="<input id>" hidden> copies that input's value.
 * The buttons stay hidden without this script (the input can still be selected and
 * copied by hand); a status element #copy-status says what happened.
 */
(function () {
  "use strict";

  function say(text) {
    var status = document.getElementById("copy-status");
    if (status) {
      status.textContent = text;
    }
  }

  function copy(button) {
    var input = document.getElementById(button.dataset.copy);
    if (!input) {
      return;
    }
    var label = button.textContent.replace(/^Copy\s*/, "").trim() || "link";
    input.select();
    var done = function () { say("Copied " + label + "."); };
    var byHand = function () { say("Press Ctrl+C (or \u2318+C) to copy the selected link."); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, byHand);
    } else {
      byHand();
    }
  }

  function init() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
