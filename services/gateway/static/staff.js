// The staff live feed (R27): every event from /staff/events at the top of #live-events, as
// a readable row (time, event, order link, the key facts in words, the data on demand),
// with filters by event type and by order. Plain JavaScript, no build step.
(function () {
  "use strict";

  var MAX_EVENTS = 500;
  var list = document.getElementById("live-events");
  if (!list || !window.EventSource) {
    return;
  }
  var orderFilter = document.getElementById("order-filter");
  var typeFilter = document.getElementById("type-filter");
  var state = document.getElementById("live-state");
  var empty = document.getElementById("live-empty");

  function parse(text) {
    try {
      var event = JSON.parse(text);
      return event && typeof event === "object" ? event : {};
    } catch (error) {
      return {};
    }
  }

  function matches(entry) {
    var wanted = orderFilter ? orderFilter.value.trim() : "";
    var type = typeFilter ? typeFilter.value : "";
    if (type && entry.dataset.type !== type) {
      return false;
    }
    return !wanted || entry.dataset.order.indexOf(wanted) !== -1 ||
      entry.textContent.indexOf(wanted) !== -1;
  }

  function cell(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    node.textContent = text;  // text, never HTML: event data comes from customers too
    return node;
  }

  function add(type, text) {
    var event = parse(text);
    var entry = document.createElement("li");
    entry.className = "event";
    entry.dataset.type = type;
    entry.dataset.order = event.order ? String(event.order) : "";
    var time = cell("time", "when", event.time || "");
    if (event.at) {
      time.setAttribute("datetime", event.at);
    }
    entry.appendChild(time);
    entry.appendChild(cell("strong", "type", event.title || type));
    if (event.order) {
      var link = cell("a", "order", String(event.order));
      link.href = "/staff/orders/" + encodeURIComponent(String(event.order));
      entry.appendChild(link);
    } else {
      entry.appendChild(cell("span", "order", ""));
    }
    entry.appendChild(cell("span", "summary", event.summary || ""));
    var details = document.createElement("details");
    details.appendChild(cell("summary", "", "Data"));
    details.appendChild(cell("pre", "data", JSON.stringify(event.data || event, null, 2)));
    entry.appendChild(details);
    entry.hidden = !matches(entry);
    list.insertBefore(entry, list.firstChild);
    while (list.children.length > MAX_EVENTS) {
      list.removeChild(list.lastChild);
    }
    if (empty) {
      empty.hidden = true;
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

  function refilter() {
    Array.prototype.forEach.call(list.children, function (entry) {
      entry.hidden = !matches(entry);
    });
  }
  if (orderFilter) {
    orderFilter.addEventListener("input", refilter);
  }
  if (typeFilter) {
    typeFilter.addEventListener("change", refilter);
  }
  var filters = document.getElementById("live-filters");
  if (filters) {
    // The filters apply as typed: Enter in the order box must not reload the page (a
    // listener, not an onsubmit attribute: the Content-Security-Policy runs no inline code).
    filters.addEventListener("submit", function (event) { event.preventDefault(); });
  }
}());
