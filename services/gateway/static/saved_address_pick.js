// The order form's pick of a saved address: choosing one fills the address fields at once,
// keeping all else typed (without a script, "Use this address" opens a form filled with it).
(function () {
  "use strict";
  var pick = document.getElementById("saved-address");
  if (!pick) { return; }
  var addresses = JSON.parse(pick.dataset.addresses || "{}");
  var fields = ["name", "line1", "line2", "city", "postal_code", "country", "phone"];
  var button = document.getElementById("use-saved-address");
  if (button) { button.hidden = true; }
  pick.addEventListener("change", function () {
    var chosen = addresses[pick.value] || {};
    fields.forEach(function (name) {
      var input = document.getElementById("field-address-" + name);
      if (input) { input.value = chosen["address-" + name] || ""; }
    });
  });
})();
