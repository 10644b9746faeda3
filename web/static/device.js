// The device check before a proctored exam: the camera must show a picture
// and the rules must be accepted before the start button works.
(function () {
  "use strict";
  var btn = document.getElementById("cam-btn"), video = document.getElementById("preview");
  var status = document.getElementById("cam-status");
  var form = document.getElementById("start-form"), ok = false;
  var M = JSON.parse(document.getElementById("device").getAttribute("data-messages"));
  function check() {
    status.textContent = M.waiting;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { status.textContent = M.unsupported; return; }
    navigator.mediaDevices.getUserMedia({ video: true, audio: false }).then(function (stream) {
      video.srcObject = stream;
      ok = true;
      status.textContent = M.ok;
      btn.hidden = true;
    }, function () { status.textContent = M.denied; });
  }
  btn.addEventListener("click", check);
  form.addEventListener("submit", function (e) {
    if (!ok) { e.preventDefault(); status.textContent = M.needed; btn.focus(); }
  });
  check();
})();
