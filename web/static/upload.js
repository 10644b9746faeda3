// upload.js: refuses, before sending, a file larger than its input's
// data-max-bytes (the server reads page forms of at most 1 MiB), with the
// message in data-too-large, through the browser's own form validation.
"use strict";
(function () {
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var max = Number(input.dataset.maxBytes);
    input.addEventListener("change", function () {
      var f = input.files && input.files[0];
      input.setCustomValidity(f && f.size > max ? input.dataset.tooLarge : "");
      input.reportValidity();
    });
  });
})();
