// Upload pages: drag-and-drop, live progress while an upload is processed, delete confirmation. No inline scripts (CSP).
(() => {
  const FINISHED = new Set(["done", "failed"]);

  function setProgress(bar, percent) {
    const value = Math.max(0, Math.min(100, Number(percent) || 0));
    const fill = bar.querySelector("span");
    if (fill) fill.style.width = `${value}%`;
    bar.setAttribute("aria-valuenow", String(value));
    const text = document.querySelector("[data-upload-progress-text]");
    if (text) text.textContent = `${value}%`;
  }

  function poll(bar) {
    const url = bar.dataset.uploadPoll;
    const status = document.querySelector("[data-upload-status]");
    const tick = () => {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((upload) => {
          setProgress(bar, upload.progress);
          if (status) status.textContent = upload.status;
          if (FINISHED.has(upload.status)) {
            window.location.reload();
          } else {
            window.setTimeout(tick, 1000);
          }
        })
        .catch(() => window.setTimeout(tick, 3000));
    };
    window.setTimeout(tick, 1000);
  }

  function dropzone(zone) {
    const input = zone.querySelector("input[type=file]");
    const name = zone.querySelector("[data-dropzone-name]");
    if (!input) return;
    const show = () => {
      if (name) name.textContent = input.files.length ? input.files[0].name : "";
    };
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach((type) =>
      zone.addEventListener(type, (event) => {
        event.preventDefault();
        zone.classList.add("dragover");
      }),
    );
    ["dragleave", "drop"].forEach((type) =>
      zone.addEventListener(type, () => zone.classList.remove("dragover")),
    );
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-dropzone]").forEach(dropzone);
    document.querySelectorAll(".progress[data-progress]").forEach((bar) => {
      setProgress(bar, bar.dataset.progress);
      if (bar.dataset.uploadPoll) poll(bar);
    });
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  });
})();
