// Small progressive enhancements; every page works without them. No inline scripts (CSP).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  document.querySelectorAll(".js-hide").forEach((el) => { el.hidden = true; });
});
