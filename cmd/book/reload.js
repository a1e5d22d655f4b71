// Live reload for go run ./cmd/book serve, which adds this script to every
// page it serves (a static build has none). The server sends a "hello"
// naming its current build when the page connects and a "reload" after
// every rebuild; the page reloads on a reload, or on a hello naming
// another build than the one the page came from (the server restarted,
// or rebuilt before the page connected or while it was disconnected).
// EventSource reconnects by itself after the server stops.
(function () {
  if (!window.EventSource) return;
  var script = document.currentScript;
  var seen = (script && script.dataset.build) || null;
  var events = new EventSource("/__book/events");
  events.addEventListener("hello", function (e) {
    if (seen !== null && seen !== e.data) location.reload();
    seen = e.data;
  });
  events.addEventListener("reload", function () {
    location.reload();
  });
})();
