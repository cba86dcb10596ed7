// The staff live feed (R27): every event from /staff/events at the top of #live-events,
// with a filter by order id. Plain JavaScript, no build step.
(function () {
  "use strict";

  var MAX_EVENTS = 500;
  var list = document.getElementById("live-events");
  if (!list || !window.EventSource) {
    return;
  }
  var filter = document.getElementById("order-filter");
  var state = document.getElementById("live-state");

  function orderOf(text) {
    try {
      var event = JSON.parse(text);
      return event && event.order ? String(event.order) : "";
    } catch (error) {
      return "";
    }
  }

  function matches(entry) {
    var wanted = filter ? filter.value.trim() : "";
    return !wanted || entry.dataset.order.indexOf(wanted) !== -1 ||
      entry.textContent.indexOf(wanted) !== -1;
  }

  function add(type, text) {
    var entry = document.createElement("li");
    entry.className = "event";
    entry.dataset.type = type;
    entry.dataset.order = orderOf(text);
    var name = document.createElement("strong");
    name.className = "type";
    name.textContent = type;
    var body = document.createElement("code");
    body.className = "text";
    body.textContent = text;  // text, never HTML: event data comes from customers too
    entry.appendChild(name);
    entry.appendChild(document.createTextNode(" "));
    entry.appendChild(body);
    entry.hidden = !matches(entry);
    list.insertBefore(entry, list.firstChild);
    while (list.children.length > MAX_EVENTS) {
      list.removeChild(list.lastChild);
    }
  }

  function say(text) {
    if (state) {
      state.textContent = text;
    }
  }

  var source = new EventSource(list.dataset.source);
  // Named events ("event: OrderPlaced") reach only listeners for their name.
  (list.dataset.types || "").split(/\s+/).filter(Boolean).forEach(function (type) {
    source.addEventListener(type, function (message) { add(type, message.data); });
  });
  source.onmessage = function (message) { add("message", message.data); };
  source.onopen = function () { say("Connected."); list.dataset.connected = "true"; };
  source.onerror = function () {
    list.dataset.connected = "false";
    say(source.readyState === EventSource.CLOSED ? "Disconnected." : "Reconnecting…");
  };

  if (filter) {
    filter.addEventListener("input", function () {
      Array.prototype.forEach.call(list.children, function (entry) {
        entry.hidden = !matches(entry);
      });
    });
  }
}());
