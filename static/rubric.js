// Rubric widget (components/rubric/widget.html): a digit picks that point of the criterion the
// focus is in (on its scale or its N/A box; never while typing a rationale: static/scale_keys.js),
// and then clears its N/A; ticking N/A clears the criterion's score. Loaded by every rubric widget;
// the listeners are added once.
(() => {
  if (window.inkwellRubric) return;
  window.inkwellRubric = true;

  document.addEventListener("scale:key", (event) => {
    const group = event.target instanceof HTMLElement && event.target.closest(".rubric-criterion");
    const na = group && group.querySelector(".rubric-na input[type=checkbox]");
    if (na && na.checked) { na.checked = false; na.dispatchEvent(new Event("change", { bubbles: true })); }
  });

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.matches(".rubric-na input[type=checkbox]") || !box.checked) return;
    const group = box.closest(".rubric-criterion");
    group.querySelectorAll("input[type=radio]").forEach((radio) => { radio.checked = false; });
  });
})();

// Co-editing (static/coedit_widget.js): the answer as {"criteria": {id: {score, na, rationale}},
// "overall"?}, the JSON components/rubric/form.py reads under the field's name.
(window.inkwellCoeditWidgets = window.inkwellCoeditWidgets || []).push({
  frame: "fieldset.field-rubric",
  answerOf(frame) {
    const pointOf = (group) => {
      const radio = group.querySelector("input[type=radio]:checked");
      return radio ? Number(radio.value) : null;
    };
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
  },
  show(frame, value) {
    const setPoint = (group, point) => group.querySelectorAll("input[type=radio]").forEach((radio) => {
      radio.checked = point !== null && point !== undefined && Number(radio.value) === Number(point);
    });
    const answer = value && typeof value === "object" ? value : {};
    const criteria = answer.criteria || {};
    frame.querySelectorAll(".rubric-criterion[data-criterion]").forEach((group) => {
      if (group.classList.contains("rubric-overall")) { setPoint(group, answer.overall); return; }
      const entry = criteria[group.dataset.criterion] || {};
      setPoint(group, entry.score);
      const na = group.querySelector(".rubric-na input[type=checkbox]");
      if (na) na.checked = !!entry.na;
      const rationale = group.querySelector("textarea");
      if (rationale && rationale.value !== (entry.rationale || "")) rationale.value = entry.rationale || "";
    });
  },
});
