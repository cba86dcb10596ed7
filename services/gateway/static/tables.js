// On a phone each table row becomes a card (cnnect.css, "Phones"): every cell shows the
// heading of its column, copied here into data-label unless the template set one.
(function () {
  document.querySelectorAll("table").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!heads.length) { return; }
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        // A cell across the whole row ("Nothing yet.") has no one column to name.
        if (!cell.hasAttribute("data-label") && cell.colSpan === 1 && heads[column]) {
          cell.setAttribute("data-label", heads[column]);
        }
        column += cell.colSpan || 1;
      });
    });
  });
})();
