// What a 390 px phone screen shows wrong: sideways scroll, controls off-screen,
// too narrow to use, or narrower than their content. Returns a list of problems.
// A button must be at least minWidth wide (WCAG 2.2 target size); a box a person
// types or picks in, at least fieldWidth (room for a few digits and the spinner).
([minWidth, fieldWidth]) => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) {
    problems.push(`page scrolls sideways: ${doc.scrollWidth}px wide in ${window.innerWidth}px`);
  }
  const describe = (el) => {
    if (el.id) return `#${el.id}`;
    const text = (el.innerText || el.value || "").trim().slice(0, 30);
    return `${el.tagName.toLowerCase()}[name=${el.getAttribute("name") || ""}] "${text}"`;
  };
  // Chromium clips a select's text without growing its scrollWidth: measure the text shown.
  const canvas = document.createElement("canvas").getContext("2d");
  const clipsItsChoice = (select) => {
    const option = select.options[select.selectedIndex];
    if (!option) return false;
    const style = getComputedStyle(select);
    canvas.font = style.font;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return canvas.measureText(option.text.trim()).width > room + 1;
  };
  const hidden = ".visually-hidden, [hidden], .dropdown-menu, .collapse:not(.show)";
  for (const el of document.querySelectorAll("input, select, textarea, button, .btn")) {
    if (el.type === "hidden" || el.type === "checkbox" || el.type === "radio") continue;
    if (el.closest(hidden)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const narrowerThanContent = el.tagName === "SELECT" ? clipsItsChoice(el) :
      el.tagName !== "INPUT" && el.tagName !== "TEXTAREA" && el.scrollWidth > el.clientWidth + 1;
    if (box.right > window.innerWidth + 1 || box.left < -1) {
      problems.push(`${describe(el)} is off-screen (${Math.round(box.left)} to ${Math.round(box.right)}px)`);
    } else if (box.width < (el.tagName === "INPUT" || el.tagName === "SELECT" ? fieldWidth : minWidth)) {
      problems.push(`${describe(el)} is ${Math.round(box.width)}px wide`);
    } else if (narrowerThanContent) {
      problems.push(`${describe(el)} is narrower than its content`);
    }
  }
  return problems;
}
