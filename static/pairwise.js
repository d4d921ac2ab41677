// Pairwise hotkeys: digits 1-4 pick A / B / tie / both bad (the radio with data-hotkey), unless the
// focus is in a text box or select. With several pairwise fields, the one holding the focus wins,
// else the first on the page. Loaded by components/pairwise/widget.html; registered once.
(function () {
  if (window.inkwellPairwiseHotkeys) return;
  window.inkwellPairwiseHotkeys = true;
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || !/^[1-9]$/.test(event.key)) return;
    const active = document.activeElement;
    if (active && (active.isContentEditable || active.matches("textarea, select, input:not([type=radio]):not([type=checkbox])"))) return;
    const field = active && active.closest ? active.closest("fieldset.field-pairwise") : null;
    const group = (field && field.querySelector("[data-pairwise-hotkeys]")) ||
      document.querySelector("[data-pairwise-hotkeys]");
    if (!group) return;
    const radio = group.querySelector(`input[data-hotkey="${event.key}"]:not(:disabled)`);
    if (!radio) return;
    event.preventDefault();
    radio.checked = true;
    radio.focus();
    radio.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
