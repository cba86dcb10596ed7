// "Add another item" on the order form: copy the last row with the next number, emptied.
(function () {
  "use strict";
  var button = document.getElementById("add-item");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var rows = document.getElementById("item-rows");
    var last = rows.lastElementChild;
    var n = Number(last.dataset.row) + 1;
    if (n >= 50) { return; }
    var copy = last.cloneNode(true);
    copy.dataset.row = String(n);
    copy.querySelector("legend").textContent = "Item " + (n + 1);
    copy.querySelectorAll("input").forEach(function (input) {
      input.name = input.name.replace(/^items-\d+-/, "items-" + n + "-");
      input.id = "field-" + input.name;
      input.value = "";
      // A copied row is new: it carries none of a refused row's error marks.
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
    copy.querySelectorAll(".field-error").forEach(function (said) { said.remove(); });
    rows.appendChild(copy);
  });
})();
