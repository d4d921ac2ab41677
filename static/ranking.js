// Ranking widget (components/ranking/widget.html): one rank select per candidate, options valued
// "<candidate id>=<rank>". For co-editing (static/coedit_widget.js) the answer is the JSON list
// [{candidate, rank}] the component's parse_form takes under the field's name.
(() => {
  const candidateOf = (select) => {
    const option = [...select.options].find((o) => o.value);
    return option ? option.value.slice(0, option.value.lastIndexOf("=")) : null;
  };
  (window.inkwellCoeditWidgets = window.inkwellCoeditWidgets || []).push({
    frame: "fieldset.field-ranking",
    answerOf(frame) {
      return [...frame.querySelectorAll(".ranking-candidate select")].filter((s) => s.value).map((s) => {
        const at = s.value.lastIndexOf("=");
        return { candidate: s.value.slice(0, at), rank: Number(s.value.slice(at + 1)) };
      });
    },
    show(frame, value) {
      const ranks = new Map((Array.isArray(value) ? value : []).map((e) => [e && e.candidate, e && e.rank]));
      frame.querySelectorAll(".ranking-candidate select").forEach((select) => {
        const candidate = candidateOf(select), rank = ranks.get(candidate);
        select.value = rank == null ? "" : `${candidate}=${rank}`;
      });
    },
  });
})();
