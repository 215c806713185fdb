// Live batch status: each server-sent "batch" event replaces (or adds) that batch's row.
(function () {
  "use strict";
  var table = document.getElementById("board");
  var live = document.getElementById("live");
  if (!table || !window.EventSource) { return; }
  var body = table.tBodies[0];
  var keys = ["mes", "lims", "qms", "erp", "deltav", "gxplink"];

  function cell(td, data) {
    td.textContent = "";
    if (!data) { return; }
    var what = document.createElement("span");
    what.className = data.kind;
    what.textContent = data.what.replace(/_/g, " ");
    var when = document.createElement("time");
    when.textContent = (data.time || "").slice(0, 19).replace("T", " ");
    td.appendChild(what);
    td.appendChild(document.createElement("br"));
    td.appendChild(when);
  }

  function row(update) {
    var empty = body.querySelector("tr.empty");
    if (empty) { empty.remove(); }
    var tr = body.querySelector('tr[data-batch="' + CSS.escape(update.batch) + '"]');
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.batch = update.batch;
      var th = document.createElement("th");
      th.scope = "row";
      var a = document.createElement("a");
      a.href = "/audit?ident=" + encodeURIComponent(update.batch);
      a.textContent = update.batch;
      th.appendChild(a);
      tr.appendChild(th);
      keys.forEach(function (key) { var td = document.createElement("td"); td.dataset.system = key; tr.appendChild(td); });
    }
    keys.forEach(function (key) { cell(tr.querySelector('td[data-system="' + key + '"]'), update.cells[key]); });
    body.insertBefore(tr, body.firstChild);
    tr.classList.add("flash");
    setTimeout(function () { tr.classList.remove("flash"); }, 1500);
  }

  var source = new EventSource("/events/board");
  source.addEventListener("open", function () { live.textContent = "live"; });
  source.addEventListener("error", function () { live.textContent = "reconnecting…"; });
  source.addEventListener("batch", function (event) { row(JSON.parse(event.data)); });
})();
