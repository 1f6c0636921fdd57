/* Waitlist offers: count down to each [data-expires] instant; at zero show its data-done text. */
(function () {
  var items = document.querySelectorAll(".countdown[data-expires]");
  if (!items.length) return;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    for (var i = 0; i < items.length; i++) {
      var left = Math.floor((Date.parse(items[i].getAttribute("data-expires")) - now) / 1000);
      items[i].textContent = left > 0 ? Math.floor(left / 60) + ":" + pad(left % 60) : items[i].getAttribute("data-done");
    }
  }
  tick();
  setInterval(tick, 1000);
})();
