// The take page: autosave with an offline queue, the countdown, the
// question navigator, flags, and submission.
//
// Every change is written to localStorage at once, then sent within a
// second. Saves are numbered per tab ("device"); the server applies each
// number once, so a retry after a lost reply is harmless and an older save
// never overwrites a newer one. One save is in flight at a time, so saves
// arrive in order. A reload, a crashed tab or a lost connection loses
// nothing: the queue is sent when the page (or another tab) comes back.
(function () {
  "use strict";
  var root = document.getElementById("take");
  if (!root) return;
  var cfg = JSON.parse(root.getAttribute("data-take"));
  var M = cfg.messages;
  var csrf = document.querySelector("input[name=csrf]").value;
  var $ = function (id) { return document.getElementById(id); };
  var statusEl = $("save-status"), alertEl = $("alert"), timerEl = $("timer");

  function fmt(msg) { // "%d"/"%s" placeholders, in order
    var args = Array.prototype.slice.call(arguments, 1), i = 0;
    return msg.replace(/%[ds]/g, function () { return String(args[i++]); });
  }

  // --- local state -------------------------------------------------------
  var prefix = "examhall:v1:" + cfg.attemptId + ":";
  var device = sessionStorage.getItem("examhall:device");
  if (!device) {
    device = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    sessionStorage.setItem("examhall:device", device);
  }
  var key = prefix + device;
  var state = read(key) || { seq: 0, pending: {}, inflight: null, flags: [] };
  var ls = true;
  function read(k) { try { return JSON.parse(localStorage.getItem(k)); } catch (e) { return null; } }
  function persist() {
    state.ts = Date.now();
    try { localStorage.setItem(key, JSON.stringify(state)); ls = true; } catch (e) { ls = false; }
  }
  var skew = cfg.serverTime - Date.now(); // the server's clock minus this one
  function serverNow() { return Date.now() + skew; }

  // --- answers <-> the form ---------------------------------------------
  var questions = Array.prototype.slice.call(document.querySelectorAll("[data-question-id]"));
  var byId = {};
  questions.forEach(function (el) { byId[el.getAttribute("data-question-id")] = el; });

  function answerOf(el) {
    var id = el.getAttribute("data-question-id"), type = el.getAttribute("data-type");
    var a = { questionId: id };
    if (type === "single" || type === "multiple") {
      a.choices = [];
      el.querySelectorAll("input:checked").forEach(function (i) { a.choices.push(Number(i.value)); });
    } else if (type === "truefalse") {
      var c = el.querySelector("input:checked");
      if (c) a.bool = c.value === "true";
    } else if (type === "fill") {
      a.blanks = [];
      el.querySelectorAll("input[data-blank]").forEach(function (i) { a.blanks.push(i.value); });
      if (a.blanks.every(function (b) { return b === ""; })) a.blanks = [];
    } else {
      a.text = el.querySelector("textarea").value;
    }
    return a;
  }
  function show(el, a) {
    var type = el.getAttribute("data-type");
    if (type === "single" || type === "multiple") {
      el.querySelectorAll("input").forEach(function (i) { i.checked = (a.choices || []).indexOf(Number(i.value)) >= 0; });
    } else if (type === "truefalse") {
      el.querySelectorAll("input").forEach(function (i) { i.checked = a.bool !== undefined && String(a.bool) === i.value; });
    } else if (type === "fill") {
      el.querySelectorAll("input[data-blank]").forEach(function (i, n) { i.value = (a.blanks || [])[n] || ""; });
    } else {
      el.querySelector("textarea").value = a.text || "";
    }
  }
  function answered(el) {
    var a = answerOf(el);
    return !!((a.choices && a.choices.length) || a.bool !== undefined ||
      (a.blanks && a.blanks.some(function (b) { return b.trim() !== ""; })) || (a.text && a.text.trim()));
  }
  // Each answer carries when it was made (server time); the page shows,
  // and the server keeps, the newest one of each question, whichever device
  // or tab made it and whenever it arrives.
  var shownAt = {};
  questions.forEach(function (el) { shownAt[el.getAttribute("data-question-id")] = Number(el.getAttribute("data-at")) || 0; });
  function consider(a) {
    var el = byId[a.questionId];
    if (!el || (a.at || 0) <= (shownAt[a.questionId] || 0)) return;
    show(el, a);
    shownAt[a.questionId] = a.at;
  }
  if (state.inflight) state.inflight.answers.forEach(consider);
  Object.keys(state.pending).forEach(function (q) { consider(state.pending[q]); });

  // Adopt the queues of tabs silent for 10 s (crashed or closed), at start
  // and every 2 s after: this tab sends them.
  var adopted = [];
  function adopt() {
    var found = false;
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i), o;
      if (!k || k.indexOf(prefix) !== 0 || k === key || adopted.some(function (a) { return a.key === k; })) continue;
      if (!(o = read(k)) || Date.now() - (o.ts || 0) <= 10000) continue;
      adopted.push({ key: k, state: o });
      found = true;
      if (o.inflight) o.inflight.answers.forEach(consider);
      Object.keys(o.pending || {}).forEach(function (q) {
        var a = o.pending[q], mine = state.pending[q];
        if (!mine || (mine.at || 0) < (a.at || 0)) state.pending[q] = a;
        consider(a);
      });
      (o.flags || []).forEach(function (q) { if (state.flags.indexOf(q) < 0) state.flags.push(q); });
    }
    if (found) persist();
    return found;
  }
  adopt();

  // --- navigator and flags ------------------------------------------------
  function refreshNav(id) {
    var el = byId[id], link = document.querySelector('[data-nav="' + id + '"]');
    if (!el || !link) return;
    var isA = answered(el), isF = state.flags.indexOf(id) >= 0;
    link.classList.toggle("answered", isA);
    link.classList.toggle("flagged", isF);
    var n = link.textContent.trim();
    link.setAttribute("aria-label", n + (isA ? " " + M["take.answered"] : "") + (isF ? " " + M["take.flagged"] : ""));
    var btn = el.querySelector("[data-flag]");
    btn.setAttribute("aria-pressed", isF ? "true" : "false");
    el.classList.toggle("flagged", isF);
  }
  questions.forEach(function (el) { refreshNav(el.getAttribute("data-question-id")); });
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-flag]");
    if (!b) return;
    var id = b.getAttribute("data-flag"), i = state.flags.indexOf(id);
    if (i >= 0) state.flags.splice(i, 1); else state.flags.push(id);
    persist();
    refreshNav(id);
  });
  root.addEventListener("focusin", function (e) {
    var q = e.target.closest("[data-question-id]");
    if (!q) return;
    document.querySelectorAll(".nav-item.current").forEach(function (n) { n.classList.remove("current"); n.removeAttribute("aria-current"); });
    var link = document.querySelector('[data-nav="' + q.getAttribute("data-question-id") + '"]');
    if (link) { link.classList.add("current"); link.setAttribute("aria-current", "step"); }
  });
  document.querySelector(".navigator").addEventListener("click", function (e) {
    var a = e.target.closest("[data-nav]");
    if (!a) return;
    e.preventDefault();
    var q = byId[a.getAttribute("data-nav")];
    q.scrollIntoView({ block: "start" });
    (q.querySelector("input, textarea") || q).focus({ preventScroll: true });
  });

  // --- autosave -----------------------------------------------------------
  var locked = false, ended = false, timeUp = false, timer = null, sending = false, backoff = 1000, savedAt = cfg.savedAt;
  function waiting() {
    var n = Object.keys(state.pending).length;
    if (state.inflight) n += state.inflight.answers.filter(function (a) { return !(a.questionId in state.pending); }).length;
    adopted.forEach(function (o) { if (o.state.inflight) n += o.state.inflight.answers.length; });
    return n;
  }
  function setStatus(text, cls) { statusEl.textContent = text; statusEl.className = "save-status " + (cls || ""); }
  function clock(ms) { return new Date(ms).toTimeString().slice(0, 8); }
  function showSaved() {
    if (waiting() === 0) setStatus(savedAt ? fmt(M["take.savedAt"], clock(savedAt)) : M["take.allSaved"] || "", "ok");
  }
  function onChange(e) {
    if (locked) return;
    var q = e.target.closest("[data-question-id]");
    if (!q) return;
    var id = q.getAttribute("data-question-id"), a = answerOf(q);
    a.at = shownAt[id] = Math.max(serverNow(), (shownAt[id] || 0) + 1);
    state.pending[id] = a;
    persist();
    refreshNav(id);
    setStatus(ls ? M["take.saving"] : M["take.unsaved"], "busy");
    schedule(e.type === "input" ? 800 : 200);
  }
  root.addEventListener("change", onChange);
  root.addEventListener("input", onChange);
  function schedule(ms) { clearTimeout(timer); timer = setTimeout(flush, ms); }

  // post sends one numbered save and resolves with the reply, or rejects
  // with {status} (0: no connection).
  function post(url, body, keepalive) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw { status: r.status, body: j };
        return j;
      });
    }, function () { throw { status: 0 }; });
  }
  // next returns the next save to send: an adopted tab's, this tab's
  // unanswered one, or a new one made of the pending answers.
  function next() {
    for (var i = 0; i < adopted.length; i++) {
      var o = adopted[i];
      if (o.state.inflight) return { from: o, body: { device: o.key.slice(prefix.length), seq: o.state.inflight.seq, answers: o.state.inflight.answers } };
      localStorage.removeItem(o.key);
      adopted.splice(i--, 1);
    }
    if (!state.inflight) {
      var ids = Object.keys(state.pending);
      if (!ids.length) return null;
      state.seq++;
      state.inflight = { seq: state.seq, answers: ids.map(function (q) { return state.pending[q]; }) };
      state.pending = {};
      persist();
    }
    return { body: { device: device, seq: state.inflight.seq, answers: state.inflight.answers } };
  }
  function flush() {
    clearTimeout(timer);
    if (sending || ended) return Promise.resolve();
    var s = next();
    if (!s) { showSaved(); return Promise.resolve(); }
    sending = true;
    setStatus(M["take.saving"], "busy");
    return post("/attempts/" + cfg.attemptId + "/answers", s.body).then(function (r) {
      sending = false;
      backoff = 1000;
      if (s.from) { s.from.state.inflight = null; } else { state.inflight = null; persist(); }
      savedAt = r.savedAt;
      sync(r.serverTime, r.deadline);
      return flush();
    }, function (err) {
      sending = false;
      if (err.status === 401) {
        alertMsg(M["take.sessionEnded"], cfg.signInUrl);
        setStatus(fmt(M["take.offline"], waiting()), "bad");
      } else if (err.status === 409 || err.status === 404) {
        end(timeUp ? M["take.timeUp"] : M["take.closedElsewhere"]);
      } else if (err.status === 400 || err.status === 403) {
        // The server refused this save for good: drop it rather than block
        // the queue behind it.
        if (s.from) s.from.state.inflight = null; else { state.inflight = null; persist(); }
        alertMsg((err.body && err.body.error && err.body.error.message) || M["take.submitFailed"]);
        schedule(0);
      } else {
        setStatus(fmt(M["take.offline"], waiting()), "bad");
        schedule(backoff);
        backoff = Math.min(backoff * 2, 15000);
      }
    });
  }
  window.addEventListener("online", function () { backoff = 1000; schedule(0); });
  window.addEventListener("pagehide", function () {
    // The queue is in localStorage already; try to send it on the way out.
    if (ended || sending) return;
    var s = next();
    if (s) post("/attempts/" + cfg.attemptId + "/answers", s.body, true).catch(function () {});
  });
  setInterval(function () { // "this tab is alive"; and have others died?
    if (ended) return;
    persist();
    if (adopt()) { questions.forEach(function (el) { refreshNav(el.getAttribute("data-question-id")); }); schedule(0); }
  }, 2000);
  persist();
  if (waiting()) schedule(0); else showSaved();

  // --- countdown ------------------------------------------------------------
  var deadline = cfg.deadline, warned = {};
  function sync(serverTime, dl) { skew = serverTime - Date.now(); deadline = dl; }
  function tick() {
    var left = Math.max(0, deadline - (Date.now() + skew)), s = Math.floor(left / 1000);
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    timerEl.textContent = (h ? h + ":" : "") + (m < 10 && h ? "0" : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
    timerEl.setAttribute("aria-label", fmt(M["take.left"], h * 60 + m, sec));
    if (s <= 300 && s > 60 && !warned[5]) { warned[5] = true; alertMsg(M["take.warn5"]); timerEl.classList.add("low"); }
    if (s <= 60 && s > 0 && !warned[1]) { warned[1] = true; alertMsg(M["take.warn1"]); }
    if (left <= 2000 && !ended && !timeUp) schedule(0);
    if (left <= 0 && !ended && !timeUp) { timeUp = locked = true; submit(true); }
  }
  setInterval(tick, 1000);
  tick();

  // --- messages ---------------------------------------------------------------
  function alertMsg(text, link) {
    alertEl.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = " →";
      alertEl.appendChild(a);
    }
    alertEl.hidden = false;
  }
  function end(text) {
    if (ended) return;
    ended = locked = true;
    root.querySelectorAll("input, textarea, button[data-flag], #submit-btn").forEach(function (i) { i.disabled = true; });
    root.classList.add("closed");
    localStorage.removeItem(key);
    adopted.forEach(function (o) { localStorage.removeItem(o.key); });
    $("done-body").textContent = text;
    $("done").hidden = false;
    $("done").focus();
    setStatus("", "");
  }

  // The proctoring script (proctor.js) talks to this page through this.
  window.examhallTake = {
    config: cfg, csrf: csrf, alert: alertMsg, end: end,
    setDeadline: function (dl) { deadline = dl; warned = {}; timerEl.classList.remove("low"); tick(); },
    ended: function () { return ended; }
  };

  // --- submission ---------------------------------------------------------------
  var dialog = $("confirm");
  $("submit-btn").addEventListener("click", function () {
    var unanswered = questions.filter(function (q) { return !answered(q); }).length;
    $("confirm-body").textContent = fmt(M["take.confirmBody"], unanswered, state.flags.length);
    dialog.showModal();
    $("confirm-no").focus();
  });
  $("confirm-no").addEventListener("click", function () { dialog.close(); $("submit-btn").focus(); });
  $("confirm-yes").addEventListener("click", function () { dialog.close(); locked = true; submit(false); });

  // submit sends what is queued, then closes the attempt. At the deadline
  // the server closes it anyway; the page then just says so.
  function submit(auto) {
    setStatus(M["take.submitting"], "busy");
    var drained = new Promise(function (resolve) {
      var tries = 0;
      (function loop() {
        flush().then(function () {
          if (ended || !waiting() || ++tries > 10) resolve(); else setTimeout(loop, 500);
        });
      })();
    });
    return drained.then(function () {
      if (ended) return;
      if (waiting() && !auto) throw { status: 0 };
      return post("/attempts/" + cfg.attemptId + "/submit", {});
    }).then(function () {
      end(auto ? M["take.timeUp"] : M["take.doneBody"]);
    }, function (err) {
      if (err.status === 409 || err.status === 404) return end(auto ? M["take.timeUp"] : M["take.closedElsewhere"]);
      if (!auto) locked = false;
      alertMsg(M["take.submitFailed"]);
      setStatus(fmt(M["take.offline"], waiting()), "bad");
    });
  }
})();
