// The studio's form designer: fields move in place (↑ ↓ buttons, or drag and drop) instead of
// a round trip, and the preview follows (the form's htmx trigger). Without this file every
// button is a plain submit and the server does the same.
(function () {
  "use strict";
  const form = document.getElementById("designer");
  const list = document.getElementById("designer-fields");
  const order = document.getElementById("designer-order");
  if (!form || !list || !order) return;

  function items() { return Array.from(list.querySelectorAll(":scope > li.designer-field")); }

  function renumber() {
    const fields = items();
    order.value = fields.map((li) => li.dataset.key).join(",");
    fields.forEach((li, i) => {
      li.querySelector(".fd-up").disabled = i === 0;
      li.querySelector(".fd-down").disabled = i === fields.length - 1;
    });
    form.dispatchEvent(new Event("designer-reordered", { bubbles: true }));
  }

  // ↑ ↓: move in place, keep the focus on the button that moved (keyboard users stay put).
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button.fd-up, button.fd-down");
    if (!button) return;
    event.preventDefault();
    const li = button.closest("li.designer-field");
    if (button.classList.contains("fd-up") && li.previousElementSibling) {
      list.insertBefore(li, li.previousElementSibling);
    } else if (button.classList.contains("fd-down") && li.nextElementSibling) {
      list.insertBefore(li.nextElementSibling, li);
    }
    renumber();
    if (button.disabled) {
      const other = li.querySelector(button.classList.contains("fd-up") ? ".fd-down" : ".fd-up");
      if (other && !other.disabled) other.focus();
    } else {
      button.focus();
    }
  });

  // Drag and drop by the handle: the field lands before the one it is dropped on.
  let dragged = null;
  list.addEventListener("pointerdown", (event) => {
    const li = event.target.closest("li.designer-field");
    if (li) li.draggable = Boolean(event.target.closest(".fd-handle, .fd-summary"));
  });
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li.designer-field");
    if (!dragged) return;
    dragged.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.key);
  });
  list.addEventListener("dragover", (event) => {
    const target = event.target.closest("li.designer-field");
    if (!dragged || !target) return;
    event.preventDefault();
    items().forEach((li) => li.classList.toggle("is-drop-target", li === target && li !== dragged));
  });
  list.addEventListener("drop", (event) => {
    const target = event.target.closest("li.designer-field");
    if (!dragged || !target) return;
    event.preventDefault();
    if (target !== dragged) {
      const fields = items();
      const below = fields.indexOf(target) > fields.indexOf(dragged);
      list.insertBefore(dragged, below ? target.nextElementSibling : target);
      renumber();
    }
  });
  list.addEventListener("dragend", () => {
    items().forEach((li) => { li.classList.remove("is-dragging", "is-drop-target"); li.draggable = false; });
    dragged = null;
  });

  // Enter in the preview's inputs must not leave the page.
  document.addEventListener("submit", (event) => {
    if (event.target.classList.contains("fd-preview-form")) event.preventDefault();
  });
})();
