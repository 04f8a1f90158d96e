/* Sortable tables and, in the results report, one page per dataset behind a #hash. */
(function () {
  "use strict";

  // A cell's sort key: its data-v (a number when it parses as one); "" is missing.
  function key(row, index) {
    var cell = row.cells[index];
    if (!cell || cell.dataset.v === undefined || cell.dataset.v === "") return null;
    var n = Number(cell.dataset.v);
    return isNaN(n) ? cell.dataset.v.toLowerCase() : n;
  }

  function sortBy(th) {
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.cells, th);
    var first = th.dataset.first || "ascending";
    var dir = th.getAttribute("aria-sort") === first
      ? (first === "ascending" ? "descending" : "ascending") : first;
    table.querySelectorAll("thead th[aria-sort]").forEach(function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", dir);
    var sign = dir === "ascending" ? 1 : -1;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {  // missing values last in both directions
      var x = key(a, index), y = key(b, index);
      if (x === null || y === null) return (x === null) - (y === null);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return x < y ? -sign : x > y ? sign : 0;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  document.querySelectorAll("table.sortable thead th[data-sort]").forEach(function (th) {
    var button = document.createElement("button");
    button.type = "button";
    button.title = "sort by this column";
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener("click", function () { sortBy(th); });
  });

  // A click on a figure shows it at its own size (the page fits it to the width first).
  document.querySelectorAll("figure img").forEach(function (img) {
    img.addEventListener("click", function () { img.parentNode.classList.toggle("full"); });
  });

  // Pages: the element whose id is the hash shows (with its page); the others hide.
  var pages = document.querySelectorAll("section.page");
  if (!pages.length) return;
  function route() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    var page = target ? target.closest("section.page") : null;
    if (!page) page = pages[0];
    pages.forEach(function (p) { p.hidden = p !== page; });
    if (target && target !== page) target.scrollIntoView();
    else window.scrollTo(0, 0);
    document.title = page.dataset.title || document.title;
  }
  window.addEventListener("hashchange", route);
  route();
})();
