/* The settings page's "this phone" section: subscribe this browser to Web Push (the service
 * worker shows what arrives) or unsubscribe it. No inline script: loaded with defer. */
(function () {
  "use strict";
  var box = document.getElementById("push");
  if (!box) return;
  var state = box.querySelector("[data-testid=push-state]");
  var on = box.querySelector("[data-testid=push-on]");
  var off = box.querySelector("[data-testid=push-off]");

  function show(name) {
    var t = box.querySelector("template[data-text=" + name + "]");
    state.textContent = t ? t.innerHTML : name;
    state.setAttribute("data-state", name);
    on.hidden = name !== "off";
    off.hidden = name !== "on";
  }
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": box.getAttribute("data-csrf")},
      body: JSON.stringify(body)}).then(function (r) { if (!r.ok) throw new Error(r.status); return r; });
  }
  function keyBytes(b64) {
    var s = atob(b64.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    show("unsupported");
    return;
  }
  var ready = navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
    return navigator.serviceWorker.ready;
  });
  ready.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
    show(Notification.permission === "denied" ? "denied" : (sub ? "on" : "off"));
  });
  on.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { show("denied"); return null; }
      return Promise.all([ready, fetch(box.getAttribute("data-key-url"), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })]).then(function (both) {
        return both[0].pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(both[1].key)});
      }).then(function (sub) {
        return post(box.getAttribute("data-subscribe-url"), sub.toJSON()).then(function () { show("on"); });
      });
    }).catch(function () { show("off"); });
  });
  off.addEventListener("click", function () {
    ready.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (!sub) { show("off"); return null; }
      return post(box.getAttribute("data-unsubscribe-url"), {endpoint: sub.endpoint})
        .then(function () { return sub.unsubscribe(); }).then(function () { show("off"); });
    });
  });
})();
