/* Shared Venues: the scanner at the door.
 *
 * Online, every scan goes to the server (POST /scan/checkins, with a nonce so a retry is the
 * same scan). Offline (or when the server does not answer in time) the phone checks the code
 * itself: the Ed25519 signature against the host's public keys, the booking's status in the
 * downloaded list of today's bookings, and the codes this phone let in already. Let-ins made
 * offline wait in a queue and are sent, with the same nonce, once back online; a check-in the
 * server refuses (say, the same code let in on another phone) goes to "Needs attention".
 *
 * Token: "SV1" + base32(version u8 | kid u32 | reservation u32 | from minutes u32 | span u16
 * | 64-byte signature over the first 15 bytes), all big-endian (booking/checkin/tokens.py).
 */
(function () {
  "use strict";

  /* What a booking's scan answers at `now`, from its status and check-in window [from, until]
   * (ms since the epoch, both edges inside): the server's rule (booking/checkin/services.py
   * _result_for), held to the same table of cases (tests/checkin_window_cases.json) by a
   * Python test and a Chromium test of this function. */
  function judge(status, from, until, now) {
    if (status === "checked_in") return "already_checked_in";
    if (status === "cancelled") return "cancelled";
    if (status === "pending" || status === "rejected") return "not_approved";
    if (status === "no_show") return "too_late";
    if (now < from) return "too_early";
    if (now > until) return "too_late";
    return "ok";
  }
  window.svCheckinRules = {judge: judge};

  var root = document.getElementById("scanner");
  if (!root) return;
  var T = JSON.parse(document.getElementById("scan-texts").textContent);
  var KEY = "sv-scan:" + root.dataset.user + ":";
  var B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  var ONLINE_TIMEOUT = 2000;  // then the phone answers by itself: a door scan answers within seconds
  var csrf = root.dataset.csrf;
  var count = parseInt(root.dataset.count, 10) || 0;
  var busy = false;
  var syncing = false;

  function el(id) { return root.querySelector('[data-testid="' + id + '"]'); }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }
  function noop() {}

  // --- what this phone remembers (per signed-in user) --------------------------------------
  function load(name, fallback) {
    try {
      var v = localStorage.getItem(KEY + name);
      return v ? JSON.parse(v) : fallback;
    } catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(KEY + name, JSON.stringify(value)); } catch (e) { /* full or private */ }
  }
  var manifest = load("manifest", null);
  var queue = load("queue", []);
  var attention = load("attention", []);
  var seen = load("seen", {});  // reservation id -> when this phone let it in
  var device = localStorage.getItem("sv-scan-device");
  if (!device) {
    device = "scanner-" + randomHex(4);
    try { localStorage.setItem("sv-scan-device", device); } catch (e) { /* ignore */ }
  }

  function randomHex(n) {
    var bytes = new Uint8Array(n);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function markSeen(id) {
    var cutoff = Date.now() - 36 * 3600e3;
    Object.keys(seen).forEach(function (k) { if (seen[k] < cutoff) delete seen[k]; });
    seen[id] = Date.now();
    save("seen", seen);
  }

  // --- the server ----------------------------------------------------------------------------
  function call(method, url, body, timeout) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, timeout) : null;
    return fetch(url, {
      method: method, credentials: "same-origin", cache: "no-store", signal: ctrl ? ctrl.signal : undefined,
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      clearTimeout(timer);
      var err;
      if ((r.headers.get("Content-Type") || "").indexOf("json") < 0) {
        err = new Error("HTTP " + r.status);
        err.kind = r.status === 400 ? "csrf" : r.status >= 500 ? "network" : "signed_out";
        throw err;
      }
      return r.json().then(function (data) {
        if (r.ok) return data;
        err = new Error((data.error && data.error.message) || "HTTP " + r.status);
        err.kind = r.status === 401 || r.status === 403 ? "signed_out" : r.status >= 500 ? "network" : "refused";
        throw err;
      });
    }, function (e) {
      clearTimeout(timer);
      e.kind = "network";
      throw e;
    });
  }

  // A refused CSRF token (a page open for very long): take a fresh one, then try once more.
  function post(body, timeout) {
    var url = root.dataset.checkinsUrl;
    return call("POST", url, body, timeout).catch(function (err) {
      if (err.kind !== "csrf") throw err;
      return refresh().then(function () { return call("POST", url, body, timeout); });
    });
  }

  function refresh() {
    // With an empty queue, the server notes this phone's contact: offline scans synced later
    // must be newer (they would have been sent now).
    var url = root.dataset.manifestUrl + (queue.length ? "" : "?device=" + encodeURIComponent(device));
    return call("GET", url, null, 8000).then(function (m) {
      csrf = m.csrf_token || csrf;
      manifest = {date: m.date, generated_at: m.generated_at, keys: m.keys, reservations: m.reservations};
      save("manifest", manifest);
      count = m.checked_in_today + queue.filter(function (q) { return q.local === "ok"; }).length;
      render();
      return m;
    });
  }

  // --- checking a code on this phone ----------------------------------------------------------
  function base32(text) {
    var out = [];
    var bits = 0;
    var value = 0;
    for (var i = 0; i < text.length; i++) {
      var v = B32.indexOf(text.charAt(i));
      if (v < 0) return null;
      value = ((value << 5) | v) & 0x1fff;
      bits += 5;
      if (bits >= 8) {
        out.push((value >>> (bits - 8)) & 0xff);
        bits -= 8;
      }
    }
    return new Uint8Array(out);
  }

  function parseToken(code) {
    if (code.length !== 130 || code.slice(0, 3) !== "SV1") return null;
    var raw = base32(code.slice(3));
    if (!raw || raw.length !== 79 || raw[0] !== 1) return null;
    var view = new DataView(raw.buffer);
    var from = view.getUint32(9) * 60000;
    return {kid: view.getUint32(1), id: view.getUint32(5), from: from, until: from + view.getUint16(13) * 60000,
      body: raw.slice(0, 15), sig: raw.slice(15)};
  }

  function unb64url(text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  function loadNoble() {
    if (window.svNobleEd25519) return Promise.resolve(window.svNobleEd25519);
    if (!("noModule" in HTMLScriptElement.prototype)) return Promise.reject(new Error("no modules"));
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.type = "module";
      s.src = root.dataset.nobleUrl;
      s.onload = function () { return window.svNobleEd25519 ? resolve(window.svNobleEd25519) : reject(new Error("noble")); };
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  var importedKeys = {};
  function verifySignature(publicKey, sig, body) {
    var raw = unb64url(publicKey);
    var subtle = window.crypto && window.crypto.subtle;
    var viaWebCrypto = !subtle ? Promise.reject(new Error("no WebCrypto")) :
      (importedKeys[publicKey] ? Promise.resolve(importedKeys[publicKey]) :
        subtle.importKey("raw", raw, {name: "Ed25519"}, false, ["verify"]).then(function (k) {
          importedKeys[publicKey] = k;
          return k;
        })).then(function (k) { return subtle.verify({name: "Ed25519"}, k, sig, body); });
    return viaWebCrypto.catch(function () {
      // A browser without Ed25519 in WebCrypto: the vendored noble-ed25519, loaded only then.
      return loadNoble().then(function (ed) { return ed.verifyAsync(sig, body, raw); });
    });
  }

  function judgeHere(r, from, until, now) {  // a code this phone let in already is in
    return seen[r.id] ? "already_checked_in" : judge(r.status, from, until, now);
  }

  function findReservation(test) {
    var list = (manifest && manifest.reservations) || [];
    for (var i = 0; i < list.length; i++) if (test(list[i])) return list[i];
    return null;
  }

  function checkHere(code) {
    var now = Date.now();
    if (code.slice(0, 3) === "SV1") {
      var t = parseToken(code);
      var key = t && manifest.keys.filter(function (k) { return k.kid === t.kid; })[0];
      if (!key) return Promise.resolve({result: "invalid"});
      return verifySignature(key.public_key, t.sig, t.body).then(function (good) {
        if (!good) return {result: "invalid"};
        var r = findReservation(function (x) { return x.id === t.id; });
        if (!r) {  // genuine, but booked after the list was taken: the server will decide
          var early = now < t.from;
          return {result: early ? "too_early" : now > t.until ? "too_late" : "unknown", id: t.id};
        }
        return {result: judgeHere(r, t.from, t.until, now), reservation: r};
      }, function () { return {result: "error", reason: T.no_verify}; });
    }
    var r = /^[A-Z0-9]{4,12}$/.test(code) && findReservation(function (x) { return x.code === code; });
    if (!r) return Promise.resolve({result: "invalid", reason: T.not_in_list});
    return Promise.resolve({result: judgeHere(r, Date.parse(r.window[0]), Date.parse(r.window[1]), now), reservation: r});
  }

  function checkOffline(code, nonce, at) {
    if (!manifest) return Promise.resolve(show("error", null, true, T.no_list));
    return checkHere(code).then(function (v) {
      var r = v.reservation || null;
      if (v.result === "ok" || v.result === "unknown") {
        queue.push({code: code, nonce: nonce, at: at, local: v.result, reservation: r});
        save("queue", queue);
        if (v.result === "ok") {
          markSeen(r.id);
          count += 1;
        }
      }
      show(v.result, r, true, v.reason);
    });
  }

  // --- one scan -------------------------------------------------------------------------------
  function check(raw) {
    var code = (raw || "").replace(/\s+/g, "").toUpperCase();
    if (!code || busy) return;
    busy = true;
    var nonce = randomHex(12);
    var at = new Date().toISOString();
    var online = navigator.onLine ? post({code: code, nonce: nonce, device: device}, ONLINE_TIMEOUT) :
      Promise.reject({kind: "network"});
    online.then(function (body) {
      var r = body.reservation || null;
      if (body.result === "ok") {
        markSeen(r.id);
        count += 1;
      }
      if (r) updateListed(r);
      show(body.result, r, false);
    }, function (err) {
      if (err.kind === "network" || err.kind === "csrf") return checkOffline(code, nonce, at);
      show("error", null, false, err.kind === "signed_out" ? T.signed_out : err.message);
    }).catch(function () { show("error", null, false); }).then(function () {
      busy = false;
      render();
    });
  }

  function updateListed(r) {
    if (!manifest) return;
    var old = findReservation(function (x) { return x.id === r.id; });
    if (old) {
      old.status = r.status;
      save("manifest", manifest);
    }
  }

  // --- what staff see and hear -----------------------------------------------------------------
  function when(r) {
    var today = manifest && manifest.date;
    var day = r.start.slice(0, 10) === today ? "" : r.start.slice(5, 10) + " ";
    return day + r.start.slice(11, 16) + "–" + r.end.slice(11, 16);
  }

  // An instant as HH:MM in the venue's time zone (the phone's own zone may differ).
  function clock(iso, r) {
    var d = new Date(iso);
    try {
      return d.toLocaleTimeString("en-GB", {hour: "2-digit", minute: "2-digit", hour12: false,
        timeZone: (r && r.venue.timezone) || "Asia/Shanghai"});
    } catch (e) {
      return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    }
  }

  function facts(list, r) {
    list.textContent = "";
    if (!r) return;
    [[T.worker, r.user.display_name], [T.enterprise, r.enterprise && r.enterprise.name],
      [T.facility, r.facility.name + " · " + r.venue.name], [T.time, when(r)], [T.party, String(r.party_size)]]
      .forEach(function (pair) {
        var dt = document.createElement("dt");
        var dd = document.createElement("dd");
        dt.textContent = pair[0];
        dd.textContent = pair[1] || "—";
        list.appendChild(dt);
        list.appendChild(dd);
      });
  }

  function show(result, r, offline, reason) {
    var box = el("result");
    var tone = result === "ok" ? "ok" : result === "unknown" ? "warn" : "bad";
    box.hidden = false;
    box.className = "scan-result";
    void box.offsetWidth;  // restart the flash, so the same answer twice still shows
    box.className = "scan-result scan-" + tone;
    box.setAttribute("data-result", result);
    box.setAttribute("data-offline", offline ? "1" : "0");
    el("result-title").textContent = (tone === "ok" ? "✓ " : tone === "warn" ? "! " : "✕ ") + T["title_" + result];
    el("result-reason").textContent = reason || T["reason_" + result];
    facts(el("result-facts"), r);
    el("result-offline").hidden = !offline;
    el("result-offline").textContent = T.offline;
    if (tone === "ok") el("manual-code").value = "";
    feedback(tone === "ok");
  }

  var audio = null;
  function unlockAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }
  function feedback(good) {
    if (navigator.vibrate) navigator.vibrate(good ? 90 : [220, 90, 220]);
    if (!audio) return;
    (good ? [[1175, 0, 0.13]] : [[196, 0, 0.2], [196, 0.28, 0.2]]).forEach(function (t) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = good ? "sine" : "square";
      osc.frequency.value = t[0];
      gain.gain.value = 0.25;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(audio.currentTime + t[1]);
      osc.stop(audio.currentTime + t[1] + t[2]);
    });
  }

  function render() {
    el("today-count").textContent = count;
    var net = el("net-state");
    var online = navigator.onLine;
    net.className = "scan-net " + (online ? "is-online" : "is-offline");
    var list = manifest ? fmt(T.list_from, {date: manifest.date.slice(5), time: manifest.generated_at.slice(11, 16)})
      : T.no_list;
    net.textContent = (online ? T.online : T.no_signal) + " · " + list;
    var q = el("queue");
    q.hidden = !queue.length;
    q.textContent = fmt(T.queued, {n: queue.length});
    renderAttention();
  }

  function renderAttention() {
    var box = el("attention");
    var list = el("attention-list");
    box.hidden = !attention.length;
    list.textContent = "";
    attention.forEach(function (item, index) {
      var li = document.createElement("li");
      li.className = "scan-flag";
      li.setAttribute("data-testid", "attention-item");
      li.setAttribute("data-result", item.result);
      var title = document.createElement("strong");
      title.textContent = T["title_" + item.result] || item.result;
      var p = document.createElement("p");
      p.className = "small";
      p.textContent = (item.message || fmt(T.attention_result, {result: T["title_" + item.result] || item.result})) +
        " · " + fmt(T.scanned_at, {time: clock(item.at, item.reservation)});
      var dl = document.createElement("dl");
      dl.className = "scan-facts";
      facts(dl, item.reservation);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = T.dismiss;
      button.addEventListener("click", function () {
        attention.splice(index, 1);
        save("attention", attention);
        renderAttention();
      });
      [title, p, dl, button].forEach(function (n) { li.appendChild(n); });
      list.appendChild(li);
    });
  }

  // --- the queue of offline let-ins ------------------------------------------------------------
  function sync() {
    if (syncing || !queue.length || !navigator.onLine) return Promise.resolve();
    syncing = true;
    var item = queue[0];
    var body = {code: item.code, nonce: item.nonce, device: device, scanned_offline_at: item.at};
    return post(body, 8000).then(function (answer) {
      if (answer.result !== "ok") {
        attention.unshift({at: item.at, code: item.code, result: answer.result,
          reservation: answer.reservation || item.reservation});
      }
      return true;
    }, function (err) {
      if (err.kind !== "refused") throw err;
      attention.unshift({at: item.at, code: item.code, result: "error", message: err.message,
        reservation: item.reservation});
      return true;
    }).then(function () {
      queue.shift();
      save("queue", queue);
      save("attention", attention);
      syncing = false;
      render();
      return queue.length ? sync() : null;
    }, function (err) {
      syncing = false;
      if (err.kind === "signed_out") el("net-state").textContent = T.signed_out;
    });
  }

  function tick() {
    if (!navigator.onLine) return render();
    sync().then(function () { return queue.length ? null : refresh(); }).catch(render);
  }

  // --- the camera ------------------------------------------------------------------------------
  var video = el("video");
  var startButton = el("start-camera");
  var torchButton = el("torch");
  var startLabel = startButton.textContent;
  var stream = null;
  var track = null;
  var detector = null;
  var canvas = null;
  var timer = null;
  var lastCode = "";
  var lastSeen = 0;
  var torchOn = false;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  function loadDecoder() {
    if (detector || window.jsQR) return Promise.resolve();
    var native = window.BarcodeDetector && BarcodeDetector.getSupportedFormats ?
      BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") < 0) return false;
        detector = new BarcodeDetector({formats: ["qr_code"]});
        return true;
      }).catch(function () { return false; }) : Promise.resolve(false);
    return native.then(function (ok) { return ok ? null : loadScript(root.dataset.jsqrUrl); });
  }

  function grab() {
    if (busy || video.readyState < 2 || !video.videoWidth) return Promise.resolve(null);
    if (detector) {
      return detector.detect(video).then(function (found) { return found.length ? found[0].rawValue : null; });
    }
    var scale = Math.min(1, 800 / Math.max(video.videoWidth, video.videoHeight));
    var w = Math.round(video.videoWidth * scale);
    var h = Math.round(video.videoHeight * scale);
    canvas = canvas || document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    var ctx = canvas.getContext("2d", {willReadFrequently: true});
    ctx.drawImage(video, 0, 0, w, h);
    var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, {inversionAttempts: "dontInvert"});
    return Promise.resolve(found ? found.data : null);
  }

  function loop() {
    if (!stream) return;
    timer = setTimeout(function () {
      grab().then(function (text) {
        if (!text) return;
        var now = Date.now();
        var same = text === lastCode && now - lastSeen < 3000;  // still the same code in view
        lastCode = text;
        lastSeen = now;
        if (!same) check(text);
      }).catch(noop).then(loop);
    }, 120);
  }

  function cameraFailed() {
    stopCamera();
    show("error", null, false, T.camera_failed);
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return cameraFailed();
    navigator.mediaDevices.getUserMedia({audio: false,
      video: {facingMode: {ideal: "environment"}, width: {ideal: 1280}, height: {ideal: 720}}})
      .then(function (s) {
        stream = s;
        track = s.getVideoTracks()[0];
        video.srcObject = s;
        video.hidden = false;
        startButton.textContent = startButton.dataset.stop;
        startButton.setAttribute("data-running", "1");
        video.play().catch(noop);
        var caps = track.getCapabilities ? track.getCapabilities() : {};
        torchButton.hidden = !caps.torch;
        return loadDecoder();
      }).then(loop).catch(cameraFailed);
  }

  function stopCamera() {
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = track = null;
    torchOn = false;
    video.hidden = true;
    torchButton.hidden = true;
    torchButton.textContent = T.torch_on;
    startButton.textContent = startLabel;
    startButton.removeAttribute("data-running");
  }

  startButton.addEventListener("click", function () {
    unlockAudio();
    if (stream) stopCamera(); else startCamera();
  });
  torchButton.addEventListener("click", function () {
    if (!track) return;
    var want = !torchOn;
    track.applyConstraints({advanced: [{torch: want}]}).then(function () {
      torchOn = want;
      torchButton.textContent = want ? T.torch_off : T.torch_on;
    }).catch(noop);
  });
  el("manual-form").addEventListener("submit", function (e) {
    e.preventDefault();
    unlockAudio();
    check(el("manual-code").value);
  });
  window.addEventListener("online", tick);
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && stream) stopCamera();  // the camera is not left running in a pocket
  });

  // Ready for the door without signal: a browser without Ed25519 in WebCrypto loads its
  // fallback now, while online, so the service worker keeps it for offline checks.
  var probeKey = unb64url("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");  // RFC 8032, test 1
  var subtleNow = window.crypto && window.crypto.subtle;
  (subtleNow ? subtleNow.importKey("raw", probeKey, {name: "Ed25519"}, false, ["verify"])
    : Promise.reject(new Error("no WebCrypto"))).catch(function () { return loadNoble(); }).catch(function () {});

  render();
  tick();
  setInterval(tick, 30000);
})();
