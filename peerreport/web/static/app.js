// peerreport's only script: drag and drop onto the upload box, and upload progress.
// Every page works without it (forms post normally); htmx adds partial updates.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var zone = document.getElementById("dropzone");
    var input = document.getElementById("files");
    if (zone && input) {
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (event) {
        if (event.dataTransfer && event.dataTransfer.files.length) {
          input.files = event.dataTransfer.files;
          input.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    }
    var progress = document.getElementById("upload-progress");
    if (progress) {
      document.body.addEventListener("htmx:xhr:progress", function (event) {
        if (event.detail && event.detail.lengthComputable) {
          progress.hidden = false;
          progress.value = Math.round((event.detail.loaded / event.detail.total) * 100);
        }
      });
      document.body.addEventListener("htmx:afterRequest", function () { progress.hidden = true; });
    }
  });
})();
