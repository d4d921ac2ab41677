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

// Co-editing (static/coedit.js): the widget's answer as JSON in its hidden [data-coedit-json]
// input, kept current on every change ("change" fired on it); a "coedit:render" on that input
// (a co-editor's change) sets the inputs from it. The JSON is what components/rubric/form.py reads
// under the field's name: {"criteria": {id: {score, na, rationale}}, "overall"?}.
(() => {
  if (window.inkwellRubricCoedit) return;
  window.inkwellRubricCoedit = true;
  const frameOf = (el) => el.closest("fieldset.field-rubric");
  const hiddenOf = (frame) => frame && frame.querySelector("input[data-rubric-json]");
  const pointOf = (group) => {
    const radio = group.querySelector("input[type=radio]:checked");
    return radio ? Number(radio.value) : null;
  };

  function answerOf(frame) {
    const criteria = {};
    let overall;
    frame.querySelectorAll(".rubric-criterion[data-criterion]").forEach((group) => {
      if (group.classList.contains("rubric-overall")) { overall = pointOf(group); return; }
      const na = group.querySelector(".rubric-na input[type=checkbox]");
      const rationale = group.querySelector("textarea");
      criteria[group.dataset.criterion] = { score: pointOf(group), na: !!(na && na.checked),
                                            rationale: rationale && rationale.value.trim() ? rationale.value : null };
    });
    return overall === undefined ? { criteria } : { criteria, overall };
  }

  function store(frame) {
    const hidden = hiddenOf(frame);
    if (!hidden) return;
    const text = JSON.stringify(answerOf(frame));
    if (hidden.value === text) return;
    hidden.value = text;
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function setPoint(group, point) {
    group.querySelectorAll("input[type=radio]").forEach((radio) => {
      radio.checked = point !== null && point !== undefined && Number(radio.value) === Number(point);
    });
  }

  function show(frame) {
    let answer;
    try { answer = JSON.parse(hiddenOf(frame).value || "null"); } catch (_) { return; }
    const criteria = (answer && answer.criteria) || {};
    frame.querySelectorAll(".rubric-criterion[data-criterion]").forEach((group) => {
      if (group.classList.contains("rubric-overall")) { setPoint(group, answer && answer.overall); return; }
      const entry = criteria[group.dataset.criterion] || {};
      setPoint(group, entry.score);
      const na = group.querySelector(".rubric-na input[type=checkbox]");
      if (na) na.checked = !!entry.na;
      const rationale = group.querySelector("textarea");
      if (rationale && rationale.value !== (entry.rationale || "")) rationale.value = entry.rationale || "";
    });
  }

  const onEdit = (event) => {
    if (!(event.target instanceof HTMLElement) || event.target.matches("input[data-rubric-json]")) return;
    const frame = frameOf(event.target);
    if (frame) setTimeout(() => store(frame), 0); // after the N/A box has cleared the scale
  };
  document.addEventListener("change", onEdit);
  document.addEventListener("input", onEdit);
  document.addEventListener("coedit:render", (event) => {
    if (event.target instanceof HTMLElement && event.target.matches("input[data-rubric-json]")) show(frameOf(event.target));
  });
  const start = () => document.querySelectorAll("fieldset.field-rubric").forEach((frame) => {
    const hidden = hiddenOf(frame);
    if (hidden && !hidden.value) hidden.value = JSON.stringify(answerOf(frame));
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
