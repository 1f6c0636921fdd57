/* Shared Venues service worker: at a door without signal, a worker's upcoming booking pages
 * (with their QR codes) and the staff's scanner page still open.
 *
 * - Only GET is ever cached; POSTs pass straight through.
 * - A page is kept only when the server marks it with "X-Offline-Cache" (the owner's upcoming
 *   booking, whose QR code is inline; the scanner), plus the worker's own list of upcoming
 *   bookings, and never a redirect.
 * - Signing out, or opening the sign-in page, empties the page cache: the next person on this
 *   phone never sees the last one's bookings.
 * - Network first (so nothing goes stale while there is signal), the cache when the network
 *   fails or is too slow.
 */
"use strict";
var SHELL = "sv-shell-v1";
var PAGES = "sv-pages-v1";
var SHELL_URLS = ["/static/css/app.css", "/static/img/icon.svg", "/static/css/scan.css", "/static/js/scan.js",
  "/static/js/vendor/jsQR.min.js"];
var LIST = "/bookings/";
var BOOKING = /^\/bookings\/\d+$/;
var PAGE_TIMEOUT = 4000;
var STATIC_TIMEOUT = 2000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_URLS);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== SHELL && n !== PAGES; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }).then(warmOpenPages));
});

// The pages open at the first install were fetched before this worker ran: fetch them again.
function warmOpenPages() {
  return self.clients.matchAll({type: "window"}).then(function (list) {
    return Promise.all(list.map(function (client) {
      var url = new URL(client.url);
      return url.origin === location.origin && keepable(url) ?
        fetchAndStore(new Request(url.pathname, {credentials: "same-origin"})) : null;
    }));
  });
}

// "clear" on sign-out; {warm: path} from a page this worker does not control (it was loading
// while the worker started): fetch it again so that it opens offline too.
self.addEventListener("message", function (event) {
  if (event.data === "clear") return event.waitUntil(clearPages());
  var url = event.data && event.data.warm ? new URL(event.data.warm, location.origin) : null;
  if (url && url.origin === location.origin && keepable(url)) {
    event.waitUntil(fetchAndStore(new Request(url.pathname, {credentials: "same-origin"})));
  }
});

function clearPages() { return caches.delete(PAGES); }

function keepable(url) {
  return url.search === "" && (BOOKING.test(url.pathname) || url.pathname === LIST || url.pathname === "/scan");
}

// A response worth keeping: a real page of this user, not a redirect to the sign-in page.
function worthKeeping(url, response) {
  if (!response || !response.ok || response.redirected || response.type !== "basic") return false;
  if (url.pathname === LIST) return true;
  return !!response.headers.get("X-Offline-Cache");
}

function store(request, url, response) {
  if (response.status >= 500) return null;  // a passing server error: keep the last good copy
  if (response && response.redirected && new URL(response.url).pathname === "/login") {
    return clearPages();  // signed out on the server: forget this user's pages
  }
  if (!worthKeeping(url, response)) {
    return caches.open(PAGES).then(function (c) { return c.delete(request, {ignoreVary: true}); });
  }
  var copy = response.clone();
  return caches.open(PAGES).then(function (c) { return c.put(request, copy); }).then(function () {
    if (url.pathname === LIST) return response.clone().text().then(warmListedBookings);
  });
}

// The upcoming bookings listed on /bookings/ are fetched ahead, so they open offline too.
function warmListedBookings(html) {
  var seen = {};
  var re = /href="(\/bookings\/\d+)"/g;
  var m;
  var jobs = [];
  while ((m = re.exec(html)) && jobs.length < 20) {
    if (seen[m[1]]) continue;
    seen[m[1]] = true;
    jobs.push(fetchAndStore(new Request(m[1], {credentials: "same-origin"})));
  }
  return Promise.all(jobs);
}

function fetchAndStore(request) {
  var url = new URL(request.url);
  return fetch(request).then(function (response) { return store(request, url, response); })
    .catch(function () { /* offline: keep what we have */ });
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (r) { clearTimeout(timer); resolve(r); },
      function (e) { clearTimeout(timer); reject(e); });
  });
}

// Network first; on failure or a slow network the cached copy (the network still refreshes it).
function networkFirst(event, cacheName, timeout, keep) {
  var request = event.request;
  var kept = null;
  var network = fetch(request).then(function (response) {
    kept = keep(response.clone());
    return response;
  });
  event.waitUntil(network.then(function () { return kept; }).catch(function () {}));
  var usable = network.then(function (response) {
    return response.status >= 500 ? Promise.reject(new Error("server error")) : response;
  });
  return withTimeout(usable, timeout).catch(function (err) {
    return caches.open(cacheName).then(function (c) { return c.match(request, {ignoreVary: true}); })
      .then(function (hit) {
        return hit || network;  // nothing cached: wait for the network after all (or its error)
      }, function () { throw err; });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== location.origin) return;
  if (request.method !== "GET") {
    if (url.pathname === "/logout") event.waitUntil(clearPages());
    return;  // never cached
  }
  if (url.pathname === "/login") {
    event.waitUntil(clearPages());
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(networkFirst(event, SHELL, STATIC_TIMEOUT, function (response) {
      if (!response.ok) return null;
      var copy = response.clone();
      return caches.open(SHELL).then(function (c) { return c.put(request, copy); });
    }));
    return;
  }
  if (keepable(url)) {
    event.respondWith(networkFirst(event, PAGES, PAGE_TIMEOUT, function (response) {
      return store(request, url, response);
    }));
  }
});

/* Web Push (notifications/channels/push.py): show what arrives; a tap opens its page. */
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {body: event.data ? event.data.text() : ""}; }
  event.waitUntil(self.registration.showNotification(data.title || "Shared Venues", {
    body: data.body || "", tag: data.tag, icon: "/static/img/icon.svg", data: {url: data.url || "/"}
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.openWindow(url));
});
