// Small progressive enhancements; every page works without them. No inline scripts (CSP).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  document.querySelectorAll(".js-hide").forEach((el) => { el.hidden = true; });
  // A section owned by another part of the site (e.g. the peer price benchmark on a contract page), same origin.
  document.querySelectorAll("[data-fragment-src]").forEach((section) => {
    const target = section.querySelector("[data-fragment-target]");
    fetch(section.dataset.fragmentSrc, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : null))
      .then((html) => { if (html && target) { target.innerHTML = html; } })
      .catch(() => {});
  });
});
