// The studio's YAML editor: the line-number gutter follows the text and its scrolling, and a
// problem's link puts the cursor on its line.
(function () {
  "use strict";
  const area = document.getElementById("source");
  const gutter = document.getElementById("gutter");
  if (!area || !gutter) return;
  const marked = new Set(Array.from(gutter.querySelectorAll("li.has-problem"), (li) => li.textContent));

  function renumber() {
    const count = area.value.split("\n").length;
    if (gutter.children.length === count) return;
    const items = [];
    for (let n = 1; n <= count; n += 1) {
      const li = document.createElement("li");
      li.id = "line-" + n;
      li.textContent = String(n);
      if (marked.has(String(n))) li.className = "has-problem";
      items.push(li);
    }
    gutter.replaceChildren(...items);
  }

  function follow() { gutter.scrollTop = area.scrollTop; }

  function goTo(line) {
    const lines = area.value.split("\n");
    let start = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i += 1) start += lines[i].length + 1;
    const end = start + (lines[line - 1] || "").length;
    area.focus();
    area.setSelectionRange(start, end);
    const height = area.scrollHeight / Math.max(lines.length, 1);
    area.scrollTop = Math.max(0, (line - 3) * height);
    follow();
  }

  area.addEventListener("input", renumber);
  area.addEventListener("scroll", follow);
  document.querySelectorAll("a.problem-at").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      goTo(parseInt(link.dataset.line, 10));
    });
  });
  renumber();
})();
