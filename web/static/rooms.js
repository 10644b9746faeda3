// rooms.js: copy buttons of the room page. Each button copies the value of
// the read-only field named by data-copy-target with the Clipboard API; where
// that is missing or refused, it selects the field's text so the person can
// copy it by hand (the field itself is the textual fallback).
(function () {
  "use strict";
  var status = document.getElementById("copy-status");
  function say(msg) {
    if (status) { status.textContent = ""; status.textContent = msg; }
  }
  function selectField(field) {
    field.focus();
    field.select();
  }
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button.copy");
    if (!btn) { return; }
    var field = document.getElementById(btn.getAttribute("data-copy-target"));
    if (!field) { return; }
    if (!navigator.clipboard || !window.isSecureContext) {
      selectField(field);
      say(status ? status.getAttribute("data-copy-failed") : "");
      return;
    }
    navigator.clipboard.writeText(field.value).then(function () {
      btn.classList.add("copied");
      say(status.getAttribute("data-copied"));
      setTimeout(function () { btn.classList.remove("copied"); }, 1500);
    }, function () {
      selectField(field);
      say(status.getAttribute("data-copy-failed"));
    });
  });
})();
