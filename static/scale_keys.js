// Digit hotkeys on an anchored scale (components/_scale.html): a digit picks that point of the
// scale group the focus is in ([data-scale-keys]: a rubric criterion, a turn's criterion, an
// overall score), never while typing. The picked radio fires "change", then "scale:key" (bubbling)
// for a widget that reacts to a pick by key (the rubric clears N/A). Loaded by each widget with such
// a scale; the listener is added once.
(() => {
  if (window.inkwellScaleKeys) return;
  window.inkwellScaleKeys = true;

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || !/^[0-9]$/.test(event.key)) return;
    const target = event.target;
    if (!(target instanceof HTMLElement) || target.closest("textarea, input[type=text], select")) return;
    const group = target.closest("[data-scale-keys]");
    if (!group) return;
    const radio = group.querySelector(`input[type=radio][data-hotkey="${event.key}"]`);
    if (!radio || radio.disabled) return;
    event.preventDefault();
    radio.checked = true;
    radio.focus();
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    radio.dispatchEvent(new CustomEvent("scale:key", { bubbles: true }));
  });
})();
