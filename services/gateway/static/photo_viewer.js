// The inspection photo viewer (R18): arrow keys go to the previous or next photo, Escape
// back to the order. Links work without this file; it only adds the keys.
(function () {
  "use strict";
  var keys = { ArrowLeft: "photo-prev", ArrowRight: "photo-next", Escape: "back-to-order" };
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    var id = keys[event.key];
    var link = id ? document.getElementById(id) : null;
    if (link) {
      event.preventDefault();
      window.location.assign(link.getAttribute("href"));
    }
  });
}());
