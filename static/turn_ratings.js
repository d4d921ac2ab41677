// Per-turn ratings (components/turn_ratings/widget.html). Each widget names its chat part
// (data-target); for every turn of a rated role there (li[data-turn][data-role]) it builds a group:
// per criterion a labelled radio scale, the flags as checkboxes, named
// <name>.<turn id>.<criterion> / <name>.<turn id>.flags for the server's form parsing, filled from
// data-value. Digits pick a point of the criterion the focus is in (static/scale_keys.js). Loaded
// by each such widget and run again by htmx on every swap: it sets itself up once and starts
// widgets not yet started.
(() => {
  if (window.inkwellTurnRatings) { window.inkwellTurnRatings.startAll(document); return; }

  const make = (tag, attrs = {}, text = null) => {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
    if (text != null) el.textContent = text;
    return el;
  };
  const safeId = (s) => String(s).replace(/[^A-Za-z0-9_-]/g, "_");

  function start(widget) {
    if (widget.dataset.started) return;
    widget.dataset.started = "1";
    const config = JSON.parse(widget.dataset.config || "{}");
    const value = JSON.parse(widget.dataset.value || "{}");
    const name = widget.dataset.name, error = widget.dataset.error || "";
    const given = (value && typeof value.turns === "object" && value.turns) || {};
    // The nearest chat part of that name: a page may show several items (the escalation queue).
    const selector = `[data-part="${CSS.escape(widget.dataset.target)}"]`;
    let scope = widget.parentElement;
    while (scope && !scope.querySelector(selector)) scope = scope.parentElement;
    const part = scope ? scope.querySelector(selector) : null;
    const turns = part ? [...part.querySelectorAll("li[data-turn]")] : [];
    const rated = turns.filter((li) => config.roles.includes(li.dataset.role));
    const disabled = !!widget.closest("fieldset[disabled]");
    if (!rated.length) return;
    widget.querySelector("[data-turn-ratings-empty]")?.remove();
    rated.forEach((li, index) => {
      const turnId = li.dataset.turn, entry = given[turnId] || {};
      const ratings = (entry && entry.ratings) || {}, flags = new Set((entry && entry.flags) || []);
      const base = `${name}-${safeId(turnId)}`;
      const mine = error.includes(`turns.${turnId}.`) || error.includes(`turns.${turnId}:`);
      const group = make("fieldset", { class: "rubric-criterion turn-rating" + (mine ? " has-error" : ""), "data-turn-rating": turnId });
      const excerpt = (li.querySelector(".turn-body")?.textContent || "").trim().slice(0, 80);
      group.append(make("legend", {}, `Turn ${turns.indexOf(li) + 1} (${li.dataset.role})`));
      if (excerpt) group.append(make("p", { class: "muted small" }, `“${excerpt}${excerpt.length >= 80 ? "…" : ""}”`));
      for (const criterion of config.criteria) {
        const box = make("fieldset", { class: "rubric-criterion turn-rating-criterion", "data-criterion": criterion.id, "data-scale-keys": "" });
        box.append(make("legend", {}, criterion.label));
        if (criterion.description) box.append(make("p", { class: "rubric-description small" }, criterion.description));
        const scale = make("div", { class: "rating-scale" });
        for (let point = criterion.min; point <= criterion.max; point++) {
          const id = `${base}-${criterion.id}-${point}`;
          const input = make("input", { type: "radio", id, name: `${name}.${turnId}.${criterion.id}`, value: String(point), "data-hotkey": String(point) });
          if (String(ratings[criterion.id]) === String(point)) input.checked = true;
          if (mine) input.setAttribute("aria-invalid", "true");
          input.disabled = disabled;
          const label = make("label", { for: id });
          label.append(make("span", { class: "rating-number" }, String(point)));
          const anchor = (criterion.anchors || {})[String(point)];
          if (anchor) label.append(" ", make("span", { class: "rating-label" }, anchor));
          const holder = make("span", { class: "rating-point" });
          holder.append(input, label);
          scale.append(holder);
        }
        box.append(scale);
        group.append(box);
      }
      if (config.flags.length) {
        const box = make("div", { class: "turn-flags", role: "group", "aria-label": `Flags for turn ${index + 1}` });
        for (const flag of config.flags) {
          const id = `${base}-flag-${safeId(flag.value)}`;
          const input = make("input", { type: "checkbox", id, name: `${name}.${turnId}.flags`, value: flag.value });
          input.checked = flags.has(flag.value);
          input.disabled = disabled;
          const holder = make("span", { class: "option" });
          holder.append(input, make("label", { for: id }, flag.label));
          box.append(holder);
        }
        group.append(box);
      }
      widget.append(group);
    });
  }

  function startAll(root) { root.querySelectorAll("[data-turn-ratings]").forEach(start); }

  window.inkwellTurnRatings = { startAll };
  startAll(document);
  document.addEventListener("htmx:afterSettle", (event) => startAll(event.target || document));
})();

// Co-editing (static/coedit_widget.js): the answer as {turns: {id: {ratings, flags?}}, overall?},
// the JSON the component's parse_form takes under the field's name.
(window.inkwellCoeditWidgets = window.inkwellCoeditWidgets || []).push({
  frame: "fieldset.field-turn_ratings",
  answerOf(frame) {
    const turns = {};
    frame.querySelectorAll("[data-turn-rating]").forEach((group) => {
      const ratings = {};
      group.querySelectorAll(".turn-rating-criterion[data-criterion]").forEach((box) => {
        const radio = box.querySelector("input[type=radio]:checked");
        if (radio) ratings[box.dataset.criterion] = Number(radio.value);
      });
      const boxes = group.querySelectorAll(".turn-flags input[type=checkbox]");
      const entry = { ratings };
      if (boxes.length) entry.flags = [...boxes].filter((b) => b.checked).map((b) => b.value);
      if (Object.keys(ratings).length || (entry.flags && entry.flags.length)) turns[group.dataset.turnRating] = entry;
    });
    const overall = frame.querySelector(".turn-overall");
    if (!overall) return { turns };
    const radio = overall.querySelector("input[type=radio]:checked");
    return { turns, overall: radio ? Number(radio.value) : null };
  },
  show(frame, value) {
    const answer = value && typeof value === "object" ? value : {};
    const turns = (answer.turns && typeof answer.turns === "object") ? answer.turns : {};
    frame.querySelectorAll("[data-turn-rating]").forEach((group) => {
      const entry = turns[group.dataset.turnRating] || {};
      const ratings = entry.ratings || {}, flags = new Set(entry.flags || []);
      group.querySelectorAll(".turn-rating-criterion[data-criterion]").forEach((box) => {
        box.querySelectorAll("input[type=radio]").forEach((radio) => {
          radio.checked = String(ratings[box.dataset.criterion]) === radio.value;
        });
      });
      group.querySelectorAll(".turn-flags input[type=checkbox]").forEach((b) => { b.checked = flags.has(b.value); });
    });
    const overall = frame.querySelector(".turn-overall");
    if (overall) overall.querySelectorAll("input[type=radio]").forEach((radio) => {
      radio.checked = String(answer.overall) === radio.value;
    });
  },
});
