// Tumbler web app: the little the pages need beyond htmx.
//
// A page the browser keeps in its back/forward cache would keep its
// server-sent event stream (/live) open; after a handful of them the
// browser's connections to the hub run out and the next page hangs. So the
// stream is closed when a page is left, and a page restored from that cache
// is reloaded (it would show stale state anyway).
addEventListener('pagehide', function () {
  var data = document.body && document.body['htmx-internal-data'];
  if (data && data.sseEventSource) {
    data.sseEventSource.close();
  }
});
addEventListener('pageshow', function (e) {
  if (e.persisted) {
    location.reload();
  }
});
