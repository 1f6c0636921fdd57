/* Every signed-in page: offline at the door. The service worker keeps this user's upcoming codes;
   signing out forgets them. Loaded as a file: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  var me = document.currentScript;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(me.dataset.serviceWorker, {scope: "/"})
      .then(function () { return navigator.serviceWorker.ready; }).then(function (reg) {
        if (!navigator.serviceWorker.controller) reg.active.postMessage({warm: location.pathname + location.search});
      });
  }
  document.addEventListener("submit", function (e) {
    if (!/\/(logout|account\/sign-out-everywhere)$/.test(e.target.action)) return;
    for (var i = localStorage.length - 1; i >= 0; i--) {
      if (/^sv-scan:.*:manifest$/.test(localStorage.key(i))) localStorage.removeItem(localStorage.key(i));
    }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage("clear");
  });
  // A "select all" box ticks every box of the form it names (the staff's bulk approval).
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="' + all.dataset.selectAll + '"]').forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });
})();
