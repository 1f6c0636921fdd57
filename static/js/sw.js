/* Shared Venues service worker: the pages a person has visited open without signal, with an
 * "offline" banner (static/js/app.js), and a worker's booking codes are there at the door.
 *
 * - Nothing is fetched ahead "just in case": a page's own stylesheets and scripts are kept when
 *   the page is kept, so each role's phone holds only what that role opens (a worker's phone
 *   never downloads the staff scanner).
 * - Static files have content-hashed URLs (?v=...): served from the cache once kept.
 * - Pages: network first (nothing goes stale while there is signal), the kept copy when the
 *   network fails or is too slow, else a small "offline" page instead of the browser's error.
 * - Only GET is ever cached; never a redirect, never the API, never another user's page:
 *   signing out or opening the sign-in page empties the page cache. A worker who chose
 *   "keep my booking codes" at sign-out keeps the pages of upcoming bookings (KEPT).
 * - A worker's upcoming bookings listed on /bookings/ are fetched ahead (their codes).
 */
"use strict";
var SHELL = "sv-shell-v2";
var PAGES = "sv-pages-v2";
var KEPT = "sv-kept-v1";
var LIST = "/bookings/";
var BOOKING = /^\/bookings\/\d+$/;
var NEVER = /^\/(api\/|login|logout|register|lang\/|sw\.js|healthz)/;
var PAGE_TIMEOUT = 4000;
var keepCodes = false;

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== SHELL && n !== PAGES && n !== KEPT; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }).then(warmOpenPages));
});

// The pages open at the first install were fetched before this worker ran: fetch them again.
function warmOpenPages() {
  return self.clients.matchAll({type: "window"}).then(function (list) {
    return Promise.all(list.map(function (client) {
      var url = new URL(client.url);
      return keepable(url) ? fetchAndStore(pageRequest(url)) : null;
    }));
  });
}

function pageRequest(url) {
  return new Request(url.pathname + url.search, {credentials: "same-origin"});
}

// "clear" on sign-out; {keepCodes} from the sign-out form; {warm: path} from a page this worker
// does not control yet (it was loading while the worker started).
self.addEventListener("message", function (event) {
  var data = event.data;
  if (data === "clear") return event.waitUntil(clearPages());
  if (data && typeof data.keepCodes === "boolean") { keepCodes = data.keepCodes; return; }
  var url = data && data.warm ? new URL(data.warm, location.origin) : null;
  if (url && keepable(url)) event.waitUntil(fetchAndStore(pageRequest(url)));
});

// Forget this user's pages; the codes of upcoming bookings go to KEPT first if they chose so.
// One clearing at a time (sign-out sends a message, then its POST and the sign-in page follow).
var clearing = Promise.resolve();
function clearPages() {
  clearing = clearing.then(clearNow, clearNow);
  return clearing;
}

function clearNow() {
  var keep = keepCodes;
  keepCodes = false;
  var moved = !keep ? Promise.resolve() : caches.open(PAGES).then(function (pages) {
    return pages.keys().then(function (requests) {
      return caches.open(KEPT).then(function (kept) {
        return Promise.all(requests.filter(function (r) { return BOOKING.test(new URL(r.url).pathname); })
          .map(function (r) { return pages.match(r).then(function (res) { return res && kept.put(r, res); }); }));
      });
    });
  });
  return moved.then(function () { return caches.delete(PAGES); });
}

function keepable(url) {
  return url.origin === location.origin && !NEVER.test(url.pathname.slice(0)) && url.pathname.indexOf("/static/") !== 0 &&
    !/\.(ics|csv|png|svg|json)$/.test(url.pathname);
}

// A response worth keeping: a real HTML page of this user, not a redirect to the sign-in page;
// a booking page only when the server marks it "X-Offline-Cache" (the owner's upcoming booking,
// whose QR code is inline), never another person's booking seen by staff.
function worthKeeping(url, response) {
  if (!response || !response.ok || response.redirected || response.type !== "basic") return false;
  if ((response.headers.get("Content-Type") || "").indexOf("text/html") !== 0) return false;
  if ((response.headers.get("Cache-Control") || "").indexOf("no-store") >= 0) return false;
  return !BOOKING.test(url.pathname) || !!response.headers.get("X-Offline-Cache");
}

function store(request, url, response) {
  if (response.status >= 500) return null;  // a passing server error: keep the last good copy
  if (response.redirected && new URL(response.url).pathname === "/login") {
    return clearPages();  // signed out on the server: forget this user's pages
  }
  if (!worthKeeping(url, response)) {
    return caches.open(PAGES).then(function (c) { return c.delete(request, {ignoreVary: true}); });
  }
  var copy = response.clone();
  return caches.open(PAGES).then(function (c) { return c.put(request, copy); }).then(function () {
    return response.clone().text().then(function (html) {
      var jobs = [keepAssets(html)];
      if (url.pathname === LIST && url.search === "") jobs.push(warmListedBookings(html));
      return Promise.all(jobs);
    });
  });
}

// The page's own stylesheets and scripts (hashed URLs): kept once, for this page to open offline.
function keepAssets(html) {
  var re = /(?:href|src|-url)="(\/static\/[^"]+\?v=[0-9a-f]+)"/g;
  var m;
  var jobs = [];
  return caches.open(SHELL).then(function (cache) {
    while ((m = re.exec(html))) {
      var path = m[1].replace(/&amp;/g, "&");
      jobs.push(cache.match(path).then(function (p) {
        return function (hit) { return hit || cache.add(p).catch(function () {}); };
      }(path)));
    }
    return Promise.all(jobs);
  });
}

// The upcoming bookings listed on /bookings/ are fetched ahead, so their codes open offline too.
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

// One fetch per page at a time: the first install warms open pages, and the page asks too.
var inflight = {};
function fetchAndStore(request) {
  var url = new URL(request.url);
  var key = url.pathname + url.search;
  if (inflight[key]) return inflight[key];
  inflight[key] = fetch(request).then(function (response) { return store(request, url, response); })
    .catch(function () { /* offline: keep what we have */ })
    .then(function () { delete inflight[key]; });
  return inflight[key];
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (r) { clearTimeout(timer); resolve(r); },
      function (e) { clearTimeout(timer); reject(e); });
  });
}

function cached(request) {
  return caches.match(request, {ignoreVary: true, cacheName: PAGES}).then(function (hit) {
    return hit || caches.match(request, {ignoreVary: true, cacheName: KEPT});
  });
}

function offlinePage() {
  var html = '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>离线 · Offline</title></head>' +
    '<body style="font:18px/1.6 sans-serif;margin:0;padding:1rem">' +
    '<p role="alert" style="background:#fff4e0;border:1px solid #f0d39a;border-radius:10px;padding:.8rem">' +
    '<strong>离线</strong>：没有网络，这一页还没存到手机上。有网后再打开。<br>' +
    '<span lang="en"><strong>Offline</strong>: this page is not saved on this phone yet.</span></p>' +
    '<p><a href="/bookings/" style="display:inline-block;padding:.8rem 0">我的预约 · My bookings</a></p></body></html>';
  return new Response(html, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
}

// Network first; on failure or a slow network the kept copy (the network still refreshes it).
function networkFirstPage(event, url) {
  var request = event.request;
  var kept = null;
  var network = fetch(request).then(function (response) {
    kept = store(request, url, response.clone());
    return response;
  });
  event.waitUntil(network.then(function () { return kept; }).catch(function () {}));
  var usable = network.then(function (response) {
    return response.status >= 500 ? Promise.reject(new Error("server error")) : response;
  });
  return withTimeout(usable, PAGE_TIMEOUT).catch(function () {
    return cached(request).then(function (hit) {
      return hit || network.catch(function () { return offlinePage(); });
    });
  });
}

// Hashed static files never change: the kept copy, else the network (and keep it).
function cacheFirstStatic(request) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
    });
  });
}

function networkThenKept(request) {
  return caches.open(SHELL).then(function (cache) {
    return fetch(request).then(function (response) {
      if (response.ok) cache.put(request, response.clone());
      return response;
    }).catch(function () {
      return cache.match(request).then(function (hit) { return hit || Response.error(); });
    });
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
    if (/[?&]v=[0-9a-f]+/.test(url.search)) event.respondWith(cacheFirstStatic(request));
    // A vendored module imported by a hashed one (the scanner's noble fallback): the network,
    // and the kept copy without signal.
    else if (url.pathname.indexOf("/static/js/vendor/") === 0) event.respondWith(networkThenKept(request));
    return;
  }
  if (request.mode === "navigate" && keepable(url)) event.respondWith(networkFirstPage(event, url));
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
