// valuetracker: progressive enhancement only; every page works without script.
(function () {
  "use strict";
  // Confirm dangerous buttons: <button data-confirm="Are you sure?">
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // Copy-to-clipboard buttons: <button data-copy="#input-id">
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var input = document.querySelector(button.dataset.copy);
    if (input && navigator.clipboard) {
      navigator.clipboard.writeText(input.value || input.textContent);
      button.textContent = "Copied";
    }
  });
  // Job progress: <div data-job-url="/jobs/1.json"> containing <progress>, [data-job-text]
  // and [data-job-note] (shown while the feed has a note: no worker is running).
  document.querySelectorAll("[data-job-url]").forEach(function (box) {
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-job-text]");
    var note = box.querySelector("[data-job-note]");
    function poll() {
      fetch(box.dataset.jobUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          if (bar) { bar.max = job.total || 1; bar.value = job.done + (job.failed || 0); }
          if (text) { text.textContent = job.message; }
          if (note) { note.textContent = job.note || ""; note.hidden = !job.note; }
          box.dataset.jobStatus = job.status;
          if (job.status === "done" || job.status === "failed") {
            if (box.dataset.jobReload) { window.location.reload(); }
            return;
          }
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  });
})();
