/* Shared Venues, every page: the offline banner, the check-in countdown and full-screen code,
 * and the sign-out choice to keep booking codes on this phone. Small on purpose (no framework). */
(function () {
  "use strict";

  // --- offline banner: a kept copy of the page opens without signal; say so clearly ---
  var banner = document.getElementById("offline-banner");
  function showNetwork() { if (banner) banner.hidden = navigator.onLine; }
  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);
  showNetwork();

  // --- sign-out: keep the codes of upcoming bookings only if the person chose so ---
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-signout")) return;
    var keep = form.querySelector("input[name=keep_codes]");
    var sw = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (sw) sw.postMessage({keepCodes: !!(keep && keep.checked)});
  }, true);  // capture: before the page's other sign-out handler tells the worker to clear

  // --- a confirm step's "No, go back" closes it ---
  document.addEventListener("click", function (e) {
    var back = e.target.closest && e.target.closest("[data-close-details]");
    var details = back && back.closest("details");
    if (details) { details.open = false; details.querySelector("summary").focus(); }
  });

  // --- the check-in window countdown on a booking page ---
  var countdown = document.querySelector("[data-countdown]");
  function plural(ms) {
    var minutes = Math.max(1, Math.ceil(ms / 60000));
    var h = Math.floor(minutes / 60);
    var m = minutes % 60;
    var d = countdown.dataset;
    if (h >= 48) return d.textDays.replace("%(n)s", String(Math.floor(h / 24)));
    if (h > 0) return d.textHours.replace("%(h)s", String(h)).replace("%(m)s", String(m));
    return d.textMinutes.replace("%(m)s", String(m));
  }
  function tick() {
    var d = countdown.dataset;
    var now = Date.now();
    var opens = Date.parse(d.opens);
    var closes = Date.parse(d.closes);
    var text;
    var state;
    if (now < opens) { text = d.textBefore.replace("%(left)s", plural(opens - now)); state = "before"; }
    else if (now <= closes) { text = d.textOpen; state = "open"; }
    else { text = d.textOver; state = "over"; }
    countdown.textContent = text;
    countdown.setAttribute("data-state", state);
  }
  if (countdown) { tick(); setInterval(tick, 30000); }

  // --- full-screen code: bigger, white, screen kept awake while shown ---
  var lock = null;
  function awake(on) {
    if (on && navigator.wakeLock) {
      navigator.wakeLock.request("screen").then(function (l) { lock = l; }, function () {});
    } else if (!on && lock) { lock.release(); lock = null; }
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-fullscreen]");
    if (!button) return;
    var card = document.getElementById(button.getAttribute("data-fullscreen"));
    if (!card) return;
    var open = !card.classList.contains("code-full");
    card.classList.toggle("code-full", open);
    document.documentElement.classList.toggle("code-full-open", open);
    button.setAttribute("aria-pressed", open ? "true" : "false");
    button.textContent = open ? button.dataset.textClose : button.dataset.textOpen;
    if (open && card.requestFullscreen) card.requestFullscreen().catch(function () {});
    if (!open && document.fullscreenElement) document.exitFullscreen().catch(function () {});
    awake(open);
  });
  document.addEventListener("fullscreenchange", function () {
    if (document.fullscreenElement) return;
    var card = document.querySelector(".code-full");
    var button = card && document.querySelector("[data-fullscreen='" + card.id + "']");
    if (button) button.click();
  });
})();
