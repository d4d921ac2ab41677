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

// Co-editing (static/coedit_widget.js): the answer as {winner, strength, reason}, the JSON the
// component's parse_form takes under the field's name.
(window.inkwellCoeditWidgets = window.inkwellCoeditWidgets || []).push({
  frame: "fieldset.field-pairwise",
  answerOf(frame) {
    const winner = frame.querySelector("[data-pairwise-hotkeys] input[type=radio]:checked");
    const strength = frame.querySelector("select[name$='.strength']");
    const reason = frame.querySelector("textarea[name$='.reason']");
    return { winner: winner ? winner.value : null,
             strength: strength && strength.value ? Number(strength.value) : null,
             reason: reason && reason.value.trim() ? reason.value : null };
  },
  show(frame, value) {
    const answer = value && typeof value === "object" ? value : {};
    frame.querySelectorAll("[data-pairwise-hotkeys] input[type=radio]").forEach((radio) => {
      radio.checked = radio.value === answer.winner;
    });
    const strength = frame.querySelector("select[name$='.strength']");
    if (strength) strength.value = answer.strength == null ? "" : String(answer.strength);
    const reason = frame.querySelector("textarea[name$='.reason']");
    if (reason && reason.value !== (answer.reason || "")) reason.value = answer.reason || "";
  },
});
