// The ruleset editor: weights shown as shares of their axis while typing, and a changed score
// kind applies the form at once (without JS the "Apply changes" button does the same).
(function () {
  "use strict";
  const form = document.getElementById("ruleset-form");
  if (!form) return;

  function number(text) {
    const value = parseFloat(String(text).replace(/,/g, ""));
    return Number.isFinite(value) && value > 0 ? value : 0;
  }

  function updateShares(axis) {
    const inputs = form.querySelectorAll('input.re-weight[data-axis="' + CSS.escape(axis) + '"]');
    let total = 0;
    inputs.forEach((input) => { total += number(input.value); });
    inputs.forEach((input) => {
      const text = total > 0 ? (100 * number(input.value) / total).toFixed(1) + " %" : "";
      form.querySelectorAll('[data-share-for="' + CSS.escape(input.id) + '"]').forEach((out) => {
        out.textContent = text;
      });
    });
  }

  form.addEventListener("input", (event) => {
    const target = event.target;
    if (target.classList && target.classList.contains("re-weight")) updateShares(target.dataset.axis);
  });

  form.addEventListener("change", (event) => {
    const target = event.target;
    if (target.classList && target.classList.contains("re-score-kind")) {
      const apply = form.querySelector('button[name="action"][value="apply"]');
      if (form.requestSubmit) form.requestSubmit(apply); else apply.click();
    }
  });

  // After a list button (move, add, remove) the page comes back at the same place.
  const key = "ruleset-editor-scroll";
  form.addEventListener("submit", (event) => {
    const submitter = event.submitter;
    if (submitter && submitter.name === "op") sessionStorage.setItem(key, String(window.scrollY));
  });
  const saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    window.scrollTo(0, parseInt(saved, 10) || 0);
  }
})();
