/* adrgen: filter the decision index by text (title, status, tag) and by status.
   Progressive: without JavaScript the index is a plain table. Local only, no dependencies. */
(function () {
  "use strict";

  function findTable(box) {
    for (var el = box.nextElementSibling; el; el = el.nextElementSibling) {
      var table = el.tagName === "TABLE" ? el : el.querySelector("table");
      if (table) return table;
    }
    return null;
  }

  function init() {
    var box = document.querySelector("[data-adrgen-index]");
    if (!box || box.getAttribute("data-adrgen-ready")) return;
    box.setAttribute("data-adrgen-ready", "1");
    var table = findTable(box);
    if (!table || !table.tBodies.length) return;
    table.setAttribute("data-adrgen-index-table", "");
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    rows.forEach(function (row) {
      var badge = row.querySelector(".adrgen-badge");
      row.setAttribute("data-status", badge ? badge.getAttribute("data-status") : "");
      if (badge && badge.classList.contains("adrgen-badge--retired")) {
        row.classList.add("adrgen-row--retired");
      }
    });
    var input = box.querySelector("#adrgen-filter-input");
    var result = box.querySelector(".adrgen-filter-result");
    var buttons = Array.prototype.slice.call(box.querySelectorAll("button.adrgen-count"));
    var status = "";

    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var match = (!status || row.getAttribute("data-status") === status) &&
          words.every(function (word) { return text.indexOf(word) !== -1; });
        row.hidden = !match;
        if (match) shown += 1;
      });
      result.textContent = words.length || status ? shown + " of " + rows.length + " shown" : "";
    }

    input.addEventListener("input", apply);
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var wanted = button.getAttribute("data-status");
        status = status === wanted ? "" : wanted;
        buttons.forEach(function (other) {
          other.setAttribute("aria-pressed", String(other.getAttribute("data-status") === status));
        });
        apply();
      });
    });
    var params = new URLSearchParams(window.location.search);
    if (params.get("q")) input.value = params.get("q");
    if (params.get("status")) status = params.get("status");
    apply();
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);  // Material's instant navigation
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
