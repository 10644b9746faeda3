// Proctoring on the take page: the camera preview and its snapshots, the
// signals (leaving the page, leaving fullscreen, copy/paste/print, no face
// or several faces) and the invigilator's messages, time and submissions,
// over the live room's WebSocket (ws.js). Signals go over the socket and,
// when it is down, over HTTP.
(function () {
  "use strict";
  var take = window.examhallTake;
  if (!take || !take.config.proctor) return;
  var cfg = take.config, P = cfg.proctor, M = cfg.messages, attempt = cfg.attemptId;
  var $ = function (id) { return document.getElementById(id); };
  function fmt(msg) {
    var args = Array.prototype.slice.call(arguments, 1), i = 0;
    return msg.replace(/%[ds]/g, function () { return String(args[i++]); });
  }
  var switches = Number(localStorage.getItem("examhall:switches:" + attempt) || 0);
  function showSwitches(n) {
    switches = Math.max(switches, n);
    localStorage.setItem("examhall:switches:" + attempt, String(switches));
    var el = $("switch-count");
    el.setAttribute("data-switches", String(switches));
    el.textContent = P.switchLimit ? fmt(M["proctor.switchesLimit"], switches, P.switchLimit) : fmt(M["proctor.switches"], switches);
  }
  showSwitches(switches);

  // --- the live room ---------------------------------------------------------
  var reasons = { switch_limit: "proctor.limitSubmitted", invigilator: "proctor.forced", room_ended: "proctor.roomEnded" };
  // An exam proctored without a room has no live room to join: its
  // signals go over HTTP.
  var noSocket = { request: function () { return Promise.reject({ code: "offline" }); } };
  var sock = !P.roomId ? noSocket : window.ExamhallWS({
    query: "roomId=" + encodeURIComponent(P.roomId),
    lastSeq: P.lastSeq,
    onEvent: function (m) {
      var d = m.data || {};
      if (m.type === "message") take.alert(fmt(M["proctor.message"], d.fromName || "", d.text));
      else if (m.type === "time" && d.attemptId === attempt) { take.setDeadline(new Date(d.deadline).getTime()); take.alert(fmt(M["proctor.timeAdded"], d.minutes)); }
      else if (m.type === "submit" && d.attemptId === attempt) take.end(M[reasons[d.reason]] || M["proctor.forced"]);
      else if (m.type === "room.ended") take.end(M["proctor.roomEnded"]);
    }
  });

  // --- signals -----------------------------------------------------------------
  function signal(type, at, seconds) {
    if (take.ended()) return;
    snapshot(true).then(function (snapId) {
      var s = { type: type, at: new Date(at).toISOString(), seconds: seconds || 0 };
      if (snapId) s.snapshotId = snapId;
      var body = { attemptId: attempt, type: s.type, at: s.at, seconds: s.seconds, snapshotId: s.snapshotId };
      return sock.request("signal", body).catch(function (e) {
        if (e && e.code && e.code !== "offline" && e.code !== "timeout") throw e;
        return post("/attempts/" + attempt + "/signals", JSON.stringify(s), "application/json");
      });
    }).then(function (res) {
      if (!res) return;
      showSwitches(res.switches || 0);
      if (res.violation) take.alert(M["proctor.violation"]);
      if (res.submitted) take.end(M["proctor.limitSubmitted"]);
    }, function () { /* the attempt has ended, or the signal was refused */ });
  }
  function post(url, body, type) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: body,
      headers: { "Content-Type": type, "X-CSRF-Token": take.csrf } }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw j; return j; });
    });
  }

  // Leaving the page: hidden or blurred, one signal per absence, sent when
  // the candidate comes back with how long they were away.
  var awaySince = 0;
  function away() {
    if (awaySince || take.ended()) return;
    awaySince = Date.now();
  }
  function back() {
    if (!awaySince) return;
    var since = awaySince;
    awaySince = 0;
    var secs = (Date.now() - since) / 1000;
    if (secs < 0.5) return; // a dialog or the browser's own focus flicker
    showSwitches(switches + 1);
    signal("switch", since, Math.round(secs * 10) / 10);
  }
  document.addEventListener("visibilitychange", function () { if (document.hidden) away(); else back(); });
  window.addEventListener("blur", away);
  window.addEventListener("focus", back);
  if (P.switchLimit || P.switchMaxSeconds) {
    document.addEventListener("visibilitychange", function () { if (!document.hidden && !take.ended()) take.alert(M["proctor.warnLeave"]); });
  }

  ["copy", "cut", "paste"].forEach(function (ev) {
    document.addEventListener(ev, function (e) {
      e.preventDefault();
      take.alert(M["proctor.copyBlocked"]);
      signal(ev === "paste" ? "paste" : "copy", Date.now(), 0);
    });
  });
  window.addEventListener("beforeprint", function () { signal("print", Date.now(), 0); });

  if (P.requireFullscreen) {
    var fsBtn = $("fs-btn");
    fsBtn.addEventListener("click", function () { document.documentElement.requestFullscreen().catch(function () {}); });
    document.addEventListener("fullscreenchange", function () {
      fsBtn.hidden = !!document.fullscreenElement;
      if (!document.fullscreenElement && !take.ended()) { take.alert(M["proctor.fullscreenNeeded"]); signal("fullscreen_exit", Date.now(), 0); }
    });
    if (!document.fullscreenElement) take.alert(M["proctor.fullscreenNeeded"]);
  }

  // --- camera and snapshots ------------------------------------------------------
  // The server keeps one snapshot of an attempt per 2 s and refuses (429)
  // one sooner: a regular one then is skipped, one for a signal waits.
  var video = $("cam"), canvas = document.createElement("canvas"), camOn = false, lastSnap = 0, snapGap = 2500;
  function snapshot(forSignal) {
    if (!camOn || !video.videoWidth || take.ended()) return Promise.resolve("");
    var wait = lastSnap + snapGap - Date.now();
    if (wait > 0) {
      if (!forSignal) return Promise.resolve("");
      return new Promise(function (resolve) { setTimeout(resolve, wait); }).then(function () { return snapshot(true); });
    }
    lastSnap = Date.now();
    var w = Math.min(640, video.videoWidth), h = Math.round(video.videoHeight * w / video.videoWidth);
    canvas.width = w; canvas.height = h;
    canvas.getContext("2d").drawImage(video, 0, 0, w, h);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.7); }).then(function (blob) {
      if (!blob) return "";
      return post("/attempts/" + attempt + "/snapshots", blob, "image/jpeg").then(function (r) { return r.id; }, function () { return ""; });
    });
  }
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      camOn = true;
      $("cam-state").textContent = M["proctor.cameraOn"];
      video.addEventListener("loadeddata", function () { snapshot(false); }, { once: true });
      setInterval(function () { snapshot(false); }, P.snapshotSeconds * 1000);
      if (P.faceCheck) faceCheck();
    }, function () { $("cam-state").textContent = M["proctor.cameraOff"]; take.alert(M["proctor.cameraOff"]); });
  }

  // --- face check (@vladmandic/face-api, when installed) -------------------------
  function faceCheck() {
    var api = window.faceapi;
    if (!api) return;
    var bad = "", since = 0, reported = false;
    api.nets.tinyFaceDetector.loadFromUri("/vendor/face-api/model").then(function () {
      var opts = new api.TinyFaceDetectorOptions({ inputSize: 224, scoreThreshold: 0.5 });
      setInterval(function () {
        if (take.ended() || !video.videoWidth) return;
        api.detectAllFaces(video, opts).then(function (faces) {
          var now = faces.length === 0 ? "no_face" : faces.length > 1 ? "multi_face" : "";
          if (now !== bad) { bad = now; since = Date.now(); reported = false; return; }
          // One record per absence (or crowd) that lasts 6 s or more.
          if (bad && !reported && Date.now() - since >= 6000) {
            reported = true;
            take.alert(M[bad === "no_face" ? "proctor.noFace" : "proctor.multiFace"]);
            signal(bad, since, 0);
          }
        });
      }, 3000);
    });
  }
})();
