// The widget side of co-editing's protocol for structured fields (static/coedit.js), shared by the
// pairwise, ranking and turn-ratings widgets: a widget registers how to read its answer from its
// inputs and how to show one, by pushing {frame, answerOf, show} onto window.inkwellCoeditWidgets
// (frame: the CSS selector of its fieldset; the order scripts load in does not matter). Then every
// edit inside the frame puts the answer as JSON into the frame's hidden [data-coedit-json] input
// and fires "change" on it, and a "coedit:render" on that input (a co-editor's change) shows the
// JSON it now holds. The hidden input has no name: the form posts the widget's own inputs.
(() => {
  if (window.inkwellCoeditWidgetStarted) return;
  window.inkwellCoeditWidgetStarted = true;
  window.inkwellCoeditWidgets = window.inkwellCoeditWidgets || [];
  const hiddenOf = (frame) => frame.querySelector("input[data-coedit-json]");

  // The hidden input of every registered widget on the page, made where missing (only co-editing
  // pages load this file, so other pages' forms are untouched); static/coedit.js calls it before
  // it looks for a field's input. Named as Component.form_name names a field: f_<field name>.
  function ensure() {
    for (const kind of window.inkwellCoeditWidgets) {
      document.querySelectorAll(kind.frame).forEach((frame) => {
        if (hiddenOf(frame) || !frame.dataset.field) return;
        const hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.dataset.coeditJson = "f_" + frame.dataset.field;
        hidden.value = JSON.stringify(kind.answerOf(frame));
        frame.append(hidden);
      });
    }
  }
  window.inkwellCoeditEnsure = ensure;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ensure);
  else ensure();

  function kindOf(target) {
    if (!(target instanceof HTMLElement)) return null;
    for (const kind of window.inkwellCoeditWidgets) {
      const frame = target.closest(kind.frame);
      if (frame && hiddenOf(frame)) return { kind, frame, hidden: hiddenOf(frame) };
    }
    return null;
  }

  const onEdit = (event) => {
    const found = kindOf(event.target);
    if (!found || event.target === found.hidden) return;
    setTimeout(() => {  // after the widget's own listeners (a hotkey, a cleared box) have run
      const text = JSON.stringify(found.kind.answerOf(found.frame));
      if (found.hidden.value === text) return;
      found.hidden.value = text;
      found.hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }, 0);
  };
  document.addEventListener("change", onEdit);
  document.addEventListener("input", onEdit);
  document.addEventListener("coedit:render", (event) => {
    const found = kindOf(event.target);
    if (!found || event.target !== found.hidden) return;
    let value = null;
    try { value = JSON.parse(found.hidden.value || "null"); } catch (_) { return; }
    found.kind.show(found.frame, value);
  });
})();
