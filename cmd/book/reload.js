// Live reload for go run ./cmd/book serve, which adds this script to every
// page it serves (a static build has none). The server sends a "hello"
// naming its current build when the page connects and a "reload" after
// every rebuild; the page reloads on a reload, or on a hello naming
// another build (the server restarted, or rebuilt while the page was
// disconnected). EventSource reconnects by itself after the server stops.
(function () {
  if (!window.EventSource) return;
  var seen = null;
  var events = new EventSource("/__book/events");
  events.addEventListener("hello", function (e) {
    if (seen !== null && seen !== e.data) location.reload();
    seen = e.data;
  });
  events.addEventListener("reload", function () {
    location.reload();
  });
})();
