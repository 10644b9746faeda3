// The invigilator's live room: tiles and the feed follow the room's events
// over the WebSocket (ws.js) — presence, signals, snapshots, progress, time
// and submissions — with no polling and no reload; the actions (message,
// extra time, forced submit) are sent with the page's CSRF token.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var cfg = JSON.parse(root.getAttribute("data-live")), M = cfg.messages;
  var csrf = document.querySelector("input[name=csrf]").value;
  var $ = function (id) { return document.getElementById(id); };
  var skew = cfg.serverTime - Date.now();
  function fmt(msg) {
    var args = Array.prototype.slice.call(arguments, 1), i = 0;
    return msg.replace(/%[ds]/g, function () { return String(args[i++]); });
  }
  function tile(userId) { return root.querySelector('.tile[data-user-id="' + CSS.escape(userId || "") + '"]'); }
  function field(t, name) { return t.querySelector('[data-field="' + name + '"]'); }
  function clock(iso) { return new Date(iso).toTimeString().slice(0, 8); }
  function signalName(type) { return M["live.signal." + type] || type; }

  // --- events ------------------------------------------------------------------
  var handlers = {
    presence: function (d) {
      var t = tile(d.userId);
      if (!t) return;
      t.setAttribute("data-online", d.online ? "true" : "false");
      field(t, "online").textContent = d.online ? M["live.online"] : M["live.offline"];
      filter();
    },
    cheat: function (d) {
      var t = tile(d.userId);
      if (t) {
        var n = Number(t.getAttribute("data-cheats")) + 1;
        t.setAttribute("data-cheats", String(n));
        field(t, "cheats").textContent = String(n);
        field(t, "switches").textContent = String(d.switches);
        field(t, "signal").textContent = signalName(d.detectType) + " " + clock(d.at);
        t.classList.add("flash");
        setTimeout(function () { t.classList.remove("flash"); }, 2000);
      }
      feed(d, t);
      filter();
    },
    snapshot: function (d) {
      var t = tile(d.userId);
      if (!t) return;
      var img = field(t, "snapshot");
      img.src = "/snapshots/" + encodeURIComponent(d.id);
      img.hidden = false;
    },
    progress: function (d, m) {
      var t = tile(m.userId);
      if (!t) return;
      if (d.attemptId && t.getAttribute("data-attempt-id") !== d.attemptId) {
        t.setAttribute("data-attempt-id", d.attemptId);
        t.setAttribute("data-status", "in_progress");
        t.querySelectorAll("[data-act=extend], [data-act=submit]").forEach(function (b) { b.disabled = false; });
      }
      if (d.deadline) t.setAttribute("data-deadline", String(new Date(d.deadline).getTime()));
      field(t, "progress").textContent = d.answered + "/" + d.total;
    },
    time: function (d) {
      var t = root.querySelector('.tile[data-attempt-id="' + CSS.escape(d.attemptId) + '"]');
      if (t) t.setAttribute("data-deadline", String(new Date(d.deadline).getTime()));
    },
    submit: function (d) {
      var t = root.querySelector('.tile[data-attempt-id="' + CSS.escape(d.attemptId) + '"]');
      if (!t) return;
      t.setAttribute("data-status", "submitted");
      t.removeAttribute("data-deadline");
      field(t, "left").textContent = M["live.submitted"];
      t.querySelectorAll("[data-act=extend], [data-act=submit]").forEach(function (b) { b.disabled = true; });
    },
    "room.ended": function () {
      // Ended elsewhere (another invigilator, another replica): this page
      // says so and no longer offers to end it.
      say(M["live.ended"]);
      $("room-status").textContent = M["rooms.ended"];
      if ($("end-dialog") && $("end-dialog").open) $("end-dialog").close();
      if ($("end-btn")) $("end-btn").hidden = true;
    }
  };
  function feed(d, t) {
    var li = document.createElement("li");
    var name = t ? t.querySelector(".tile-name").textContent : d.userId;
    var time = document.createElement("time");
    time.textContent = clock(d.at);
    li.appendChild(time);
    li.appendChild(document.createTextNode(" " + name + " · " + signalName(d.detectType) + (d.seconds ? " (" + d.seconds + "s)" : "")));
    if (d.snapshotId) {
      var img = document.createElement("img");
      img.src = "/snapshots/" + encodeURIComponent(d.snapshotId);
      img.alt = name + " " + clock(d.at);
      img.width = 120; img.height = 90; img.className = "thumb";
      li.appendChild(img);
    }
    $("feed").insertBefore(li, $("feed").firstChild);
    $("feed-empty").hidden = true;
  }
  function say(text) { var a = $("live-alert"); a.textContent = text; a.hidden = false; }

  window.ExamhallWS({
    query: "roomId=" + encodeURIComponent(cfg.roomId), lastSeq: cfg.lastSeq,
    onEvent: function (m) { var h = handlers[m.type]; if (h) h(m.data || {}, m); },
    onState: function (s) {
      $("conn").textContent = s === "open" ? M["live.connected"] : s === "connecting" ? M["live.connecting"] : M["live.reconnecting"];
    }
  });

  // --- time left ----------------------------------------------------------------
  setInterval(function () {
    var now = Date.now() + skew;
    root.querySelectorAll(".tile[data-deadline]").forEach(function (t) {
      var dl = Number(t.getAttribute("data-deadline"));
      if (!dl) return;
      field(t, "left").textContent = fmt(M["live.timeLeft"], Math.max(0, Math.floor((dl - now) / 60000)));
    });
  }, 1000);

  // --- filters ----------------------------------------------------------------------
  // filter shows the tiles the filters ask for, and counts them all again.
  function filter() {
    var off = $("f-offline").checked, flagged = $("f-flagged").checked, n = 0, on = 0, fl = 0;
    root.querySelectorAll(".tile").forEach(function (t) {
      var isOn = t.getAttribute("data-online") === "true", isFl = t.getAttribute("data-cheats") !== "0";
      n++; if (isOn) on++; if (isFl) fl++;
      t.hidden = (off && isOn) || (flagged && !isFl);
    });
    $("counts").textContent = fmt(M["live.counts"], n, on, fl);
  }
  $("f-offline").addEventListener("change", filter);
  $("f-flagged").addEventListener("change", filter);

  // --- actions --------------------------------------------------------------------------
  var dlg = $("act-dialog"), act = null;
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw j; return j; });
    });
  }
  root.addEventListener("click", function (e) {
    var b = e.target.closest("[data-act]");
    if (!b) return;
    var t = b.closest(".tile");
    act = { kind: b.getAttribute("data-act"), user: t ? t.getAttribute("data-user-id") : "", attempt: t ? t.getAttribute("data-attempt-id") : "", opener: b };
    var name = b.getAttribute("data-name") || "";
    $("act-h").textContent = b.textContent + (name ? " — " + name : "");
    $("act-message").hidden = act.kind !== "message";
    $("act-extend").hidden = act.kind !== "extend";
    $("act-confirm").hidden = act.kind !== "submit";
    $("act-confirm").textContent = fmt(M["live.confirmSubmit"], name);
    $("act-error").textContent = "";
    dlg.showModal();
    (act.kind === "message" ? $("act-text") : act.kind === "extend" ? $("act-minutes") : $("act-ok")).focus();
  });
  $("act-cancel").addEventListener("click", function () { dlg.close(); if (act) act.opener.focus(); });
  $("act-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var p;
    if (act.kind === "message") p = post("/rooms/" + cfg.roomId + "/messages", { userId: act.user, text: $("act-text").value });
    else if (act.kind === "extend") p = post("/attempts/" + act.attempt + "/extend", { minutes: Number($("act-minutes").value) });
    else p = post("/attempts/" + act.attempt + "/force-submit", {});
    p.then(function () {
      dlg.close();
      say(act.kind === "extend" ? M["live.extended"] : M["live.sent"]);
      $("act-text").value = "";
      act.opener.focus();
    }, function (j) {
      $("act-error").textContent = (j && j.error && j.error.message) || M["live.failed"];
    });
  });
  var end = $("end-btn");
  if (end) {
    end.addEventListener("click", function () { $("end-dialog").showModal(); });
    $("end-cancel").addEventListener("click", function () { $("end-dialog").close(); end.focus(); });
  }
})();
