// Rubric widget (components/rubric/widget.html): a digit picks that point of the criterion the
// focus is in (on its scale or its N/A box; never while typing a rationale), and ticking N/A clears
// the criterion's score. Loaded by every rubric widget; the listeners are added once.
(() => {
  if (window.inkwellRubric) return;
  window.inkwellRubric = true;

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || !/^[0-9]$/.test(event.key)) return;
    const target = event.target;
    if (!(target instanceof HTMLElement) || target.closest("textarea, input[type=text], select")) return;
    const group = target.closest(".rubric-criterion");
    if (!group) return;
    const radio = group.querySelector(`input[type=radio][data-hotkey="${event.key}"]`);
    if (!radio || radio.disabled) return;
    event.preventDefault();
    radio.checked = true;
    radio.focus();
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    const na = group.querySelector(".rubric-na input[type=checkbox]");
    if (na && na.checked) { na.checked = false; na.dispatchEvent(new Event("change", { bubbles: true })); }
  });

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.matches(".rubric-na input[type=checkbox]") || !box.checked) return;
    const group = box.closest(".rubric-criterion");
    group.querySelectorAll("input[type=radio]").forEach((radio) => { radio.checked = false; });
  });
})();
