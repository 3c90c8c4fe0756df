// The request log shows new requests without a reload: it polls a small JSON endpoint for
// entries newer than the newest shown and inserts the rows the server rendered (and escaped).
(function () {
  var table = document.getElementById("log");
  if (!table) return;
  var body = table.tBodies[0];
  var poll = table.getAttribute("data-poll");
  var last = Number(table.getAttribute("data-last") || "0");
  function tick() {
    fetch(poll + "&after=" + last, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (d && d.last > last) {
          last = d.last;
          body.insertAdjacentHTML("afterbegin", d.rows);
          var empty = document.getElementById("empty");
          if (empty) empty.remove();
        }
      })
      .catch(function () {})
      .then(function () { setTimeout(tick, 1000); });
  }
  setTimeout(tick, 1000);
})();
