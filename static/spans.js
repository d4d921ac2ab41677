// Span and claim marking (components/_span_widget.html). Loaded by each such widget; it may run more
// than once (htmx runs the script tag of every swapped-in task), so it sets itself up only once and
// then starts every widget not yet started, on load and after each htmx swap.
//
// Offsets are Python string indices (code points) into the text of the target display part, the
// element [data-text-part="<target>"]; JavaScript strings count UTF-16 units, so every offset is
// converted at the edge. A markdown target is rendered, so its visible text is not its source: when
// the page carries the source ([data-text-source="<target>"]) a selection is found in it by its
// text, nearest the same relative position; otherwise offsets are counted on the visible text.
// Line endings: the page writes every "\r" of the text as a character reference, which the HTML
// parser keeps (components/_exact_text.html), so a plain text's DOM holds the stored characters; a
// rendered markdown text never has "\r", so the source is searched with its line ends as "\n".
(() => {
  if (window.inkwellSpans) { window.inkwellSpans.startAll(document); return; }

  const codePoints = (s) => { let n = 0; for (const _ of s) n++; return n; };
  // The UTF-16 index of code point offset `cp` in `s`.
  function unitsAt(s, cp) {
    let units = 0, seen = 0;
    for (const ch of s) { if (seen === cp) break; units += ch.length; seen++; }
    return units;
  }

  // `s` with "\r\n" and a lone "\r" as "\n", as a rendered text has them, and `back(i)`: the
  // UTF-16 index in `s` of index `i` of that flat copy (a "\r" dropped before a "\n" is counted in).
  function lineEnds(s) {
    const dropped = [];  // flat indexes of the "\n"s that lost their "\r"
    const flat = s.replace(/\r\n?/g, (match, at) => {
      if (match.length === 2) dropped.push(at - dropped.length);
      return "\n";
    });
    const back = (i) => { let k = 0; while (k < dropped.length && dropped[k] < i) k++; return i + k; };
    return { flat, back };
  }
  const flatLines = (s) => s.replace(/\r\n?/g, "\n");

  // Run `fn` once the next frame is painted (at once when the page is not being drawn).
  function afterPaint(fn) {
    if (document.visibilityState !== "visible" || !window.requestAnimationFrame) { fn(); return; }
    requestAnimationFrame(() => setTimeout(fn, 0));
  }

  // Code point offset -> UTF-16 index for all of `s` at once (one pass), so 200 spans on a 20k text
  // cost one walk over it, not one each.
  function unitTable(s) {
    const table = new Uint32Array(codePoints(s) + 1);
    let units = 0, seen = 0;
    for (const ch of s) { table[seen++] = units; units += ch.length; }
    table[seen] = units;
    return table;
  }

  // The text nodes of `root` with where each starts (UTF-16), to find a point by binary search.
  function textNodes(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [], starts = [];
    let node, passed = 0;
    while ((node = walker.nextNode())) { nodes.push(node); starts.push(passed); passed += node.data.length; }
    return { nodes, starts };
  }

  function pointIn(index, units) {
    const { nodes, starts } = index;
    if (!nodes.length) return null;
    let lo = 0, hi = nodes.length - 1;
    while (lo < hi) {  // the last node starting at or before `units` that reaches it
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] < units) lo = mid; else hi = mid - 1;
    }
    const node = nodes[lo];
    return [node, Math.min(units - starts[lo], node.data.length)];
  }

  // The text node and offset at UTF-16 offset `units` of element `root`'s text.
  function pointAt(root, units) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let node, passed = 0, last = null;
    while ((node = walker.nextNode())) {
      const length = node.data.length;
      if (units <= passed + length) return [node, units - passed];
      passed += length; last = node;
    }
    return last ? [last, last.data.length] : [root, 0];
  }

  // UTF-16 offset in `root`'s text of a DOM point.
  function unitsOf(root, node, offset) {
    const range = document.createRange();
    range.setStart(root, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  class SpanWidget {
    constructor(root) {
      this.root = root;
      this.config = JSON.parse(root.dataset.config);
      this.claims = this.config.kind === "claims";
      this.input = root.querySelector("[data-span-value]");
      this.list = root.querySelector("[data-span-list]");
      this.status = root.querySelector("[data-span-status]");
      this.startInput = root.querySelector("[data-span-start]");
      this.endInput = root.querySelector("[data-span-end]");
      this.choice = root.querySelector("[data-span-choice]");
      this.disabled = !!root.closest("fieldset[disabled]");
      this.spans = this.read();
      this.text = document.querySelector(`[data-text-part="${CSS.escape(this.config.target)}"]`);
      this.source = document.querySelector(`[data-text-source="${CSS.escape(this.config.target)}"]`);
      this.selection = null;  // {start, end} in code points, the last selection made in the text
      this.caret = 0;         // keyboard: where Shift+Arrow extends from
      if (!this.text) {
        this.say("The text to mark is not on this page; type the offsets instead.");
      } else {
        this.visible = this.text.textContent;
        this.full = this.source ? this.source.textContent : this.visible;
        this.lines = this.source ? lineEnds(this.full) : null;
        this.length = codePoints(this.full);
        this.frame = this.text.closest("[tabindex]") || this.text;
        if (!this.frame.hasAttribute("tabindex")) this.frame.tabIndex = 0;
        this.frame.setAttribute("aria-describedby", this.root.getAttribute("aria-describedby"));
        this.frame.addEventListener("keydown", (e) => this.onTextKey(e));
        this.frame.addEventListener("mouseup", () => this.captureSelection());
      }
      this.input.addEventListener("spans:refresh", () => this.refresh());
      this.input.addEventListener("coedit:render", () => this.refresh());
      root.addEventListener("keydown", (e) => this.onWidgetKey(e));
      root.addEventListener("click", (e) => this.onClick(e));
      root.addEventListener("input", (e) => this.onInput(e));
      root.addEventListener("change", (e) => this.onInput(e));
      // The list and the highlights are drawn just after the page's first paint: the server already
      // printed the list, and on a long text with hundreds of spans this work would hold that paint back.
      afterPaint(() => this.render());
    }

    read() {
      try {
        const value = JSON.parse(this.input.value || "null");
        const list = this.claims ? (value && value.claims) : value;
        return Array.isArray(list) ? list.filter((s) => s && typeof s === "object") : [];
      } catch (_) { return []; }
    }

    write() {
      const list = this.spans.map((s) => this.claims
        ? { start: s.start, end: s.end, text: s.text, verdict: s.verdict, severity: s.severity || null,
            evidence: (s.evidence || []).filter((e) => e.url || e.quote) }
        : { label: s.label, start: s.start, end: s.end, text: s.text });
      this.input.value = JSON.stringify(this.claims ? { claims: list } : list);
      // Others (co-editing) learn of the change from the hidden input, as from any field.
      this.input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    // Someone else set the hidden input (a co-editor's change merged in, static/coedit.js): show what
    // it now holds. Dispatch "coedit:render" (or "spans:refresh") on the input after setting its value.
    refresh() {
      this.spans = this.read();
      this.render();
    }

    say(text) { if (this.status) this.status.textContent = text; }

    // -- selection in the text -------------------------------------------------------------
    quote(start, end) {
      const from = unitsAt(this.full, start);
      return this.full.slice(from, from + (unitsAt(this.full.slice(from), end - start)));
    }

    // The code point offsets in the source text of a visible UTF-16 range.
    toSource(fromUnits, toUnits) {
      const start = codePoints(this.visible.slice(0, fromUnits));
      const end = start + codePoints(this.visible.slice(fromUnits, toUnits));
      if (!this.source) return { start, end };
      const wanted = this.visible.slice(fromUnits, toUnits);
      const flat = this.lines.flat;
      const guess = Math.round(fromUnits / Math.max(this.visible.length, 1) * flat.length);
      let best = -1, at = flat.indexOf(wanted);
      while (at !== -1) {
        if (best === -1 || Math.abs(at - guess) < Math.abs(best - guess)) best = at;
        at = flat.indexOf(wanted, at + 1);
      }
      if (best === -1) return { start, end };
      const from = this.lines.back(best), to = this.lines.back(best + wanted.length);
      const s = codePoints(this.full.slice(0, from));
      return { start: s, end: s + codePoints(this.full.slice(from, to)) };
    }

    captureSelection() {
      const sel = window.getSelection();
      if (!this.text || !sel || sel.rangeCount === 0 || sel.isCollapsed) return;
      const range = sel.getRangeAt(0);
      if (!this.text.contains(range.startContainer) || !this.text.contains(range.endContainer)) return;
      const from = unitsOf(this.text, range.startContainer, range.startOffset);
      const to = unitsOf(this.text, range.endContainer, range.endOffset);
      const span = this.toSource(from, to);
      this.anchor = span.start;
      this.caret = span.end;
      this.setSelection(span, false);
    }

    setSelection(span, show) {
      this.selection = span.end > span.start ? span : null;
      this.startInput.value = span.start;
      this.endInput.value = span.end;
      if (show && this.text && !this.source) {
        const [a, ao] = pointAt(this.text, unitsAt(this.full, span.anchor ?? span.start));
        const [b, bo] = pointAt(this.text, unitsAt(this.full, span.focus ?? span.end));
        window.getSelection().setBaseAndExtent(a, ao, b, bo);
      }
      if (this.selection) {
        this.say(`Selected ${span.start}–${span.end}: “${this.quote(span.start, span.end).slice(0, 80)}”`);
      }
    }

    // -- keys ------------------------------------------------------------------------------
    labelForKey(key) {
      const k = key.toLowerCase();
      return this.config.labels.find((l) => l.hotkey && l.hotkey === k);
    }

    onTextKey(e) {
      if (this.disabled || e.altKey || ((e.ctrlKey || e.metaKey) && e.key === "Enter")) return;
      if (e.key === "ArrowLeft" || e.key === "ArrowRight" || e.key === "Home" || e.key === "End") {
        e.preventDefault();
        this.moveCaret(e.key, e.shiftKey, e.ctrlKey || e.metaKey);
        return;
      }
      if (e.key === "Enter") { e.preventDefault(); this.add(this.choice.value); return; }
      if (e.ctrlKey || e.metaKey) return;
      const label = this.labelForKey(e.key);
      if (label) { e.preventDefault(); this.captureSelection(); this.add(label.value); }
    }

    // Keyboard selection: a caret (code point offset) moved by the arrows; with Shift, the selection
    // runs from where it started (the anchor) to the caret. Home/End go to the ends of the text.
    moveCaret(key, extend, byWord) {
      const dir = key === "ArrowLeft" ? -1 : 1;
      let focus = this.caret;
      if (!extend && this.selection && (key === "ArrowLeft" || key === "ArrowRight")) {
        focus = dir < 0 ? this.selection.start : this.selection.end;
      } else if (key === "Home") focus = 0;
      else if (key === "End") focus = this.length;
      else focus = this.step(focus, dir, byWord);
      focus = Math.max(0, Math.min(this.length, focus));
      if (!extend || this.anchor === undefined) this.anchor = extend ? this.caret : focus;
      this.caret = focus;
      if (!extend) {
        this.selection = null;
        this.startInput.value = focus;
        this.endInput.value = "";
        window.getSelection().removeAllRanges();
        this.say(`At character ${focus} of ${this.length}`);
        return;
      }
      const start = Math.min(this.anchor, focus), end = Math.max(this.anchor, focus);
      this.setSelection({ start, end, anchor: this.anchor, focus }, true);
    }

    step(from, dir, byWord) {
      if (!byWord) return from + dir;
      const chars = Array.from(this.full);
      const word = (i) => /[\p{L}\p{N}_]/u.test(chars[i] || "");
      let at = from;
      if (dir > 0) { while (at < chars.length && !word(at)) at++; while (at < chars.length && word(at)) at++; }
      else { while (at > 0 && !word(at - 1)) at--; while (at > 0 && word(at - 1)) at--; }
      return at;
    }

    onWidgetKey(e) {
      if (e.key !== "Enter" || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      const t = e.target;
      if (t === this.startInput || t === this.endInput || t === this.choice) {
        e.preventDefault();
        this.add(this.choice.value, true);
      } else if (t.matches("input[data-evidence]")) {
        e.preventDefault();  // Enter in an evidence box must not submit the whole form
      }
    }

    // -- adding and deleting ---------------------------------------------------------------
    add(label, fromInputs) {
      if (this.disabled) return;
      let span = this.selection;
      if (fromInputs || !span) {
        const start = Number(this.startInput.value), end = Number(this.endInput.value);
        const typed = this.startInput.value !== "" && this.endInput.value !== "";
        if (!typed || !Number.isInteger(start) || !Number.isInteger(end)) {
          this.say("Select some text first, or type a start and an end."); return;
        }
        span = { start, end };
      }
      if (span.start < 0 || span.end <= span.start) { this.say("The end must come after the start."); return; }
      if (this.text && span.end > this.length) { this.say(`The text has ${this.length} characters.`); return; }
      const clash = this.spans.find((s) => s.start < span.end && span.start < s.end);
      if (clash && (this.claims || !this.config.overlapping)) {
        this.say(`That overlaps ${clash.start}–${clash.end}, already marked.`); return;
      }
      if (this.spans.some((s) => s.start === span.start && s.end === span.end && (s.label || s.verdict) === label)) {
        this.say("That span is already marked."); return;
      }
      const entry = { start: span.start, end: span.end };
      if (this.text) entry.text = this.quote(span.start, span.end);
      if (this.claims) Object.assign(entry, { verdict: label, severity: null, evidence: [] });
      else entry.label = label;
      this.spans.push(entry);
      this.spans.sort((a, b) => a.start - b.start || a.end - b.end);
      this.selection = null;
      this.anchor = undefined;
      this.caret = entry.end;
      if (window.getSelection) window.getSelection().removeAllRanges();
      this.write();
      this.render();
      const name = (this.config.labels.find((l) => l.value === label) || { label }).label;
      this.say(`Added ${name}: ${entry.start}–${entry.end}${entry.text ? ` “${entry.text.slice(0, 80)}”` : ""}`);
    }

    onClick(e) {
      const button = e.target.closest("button");
      if (!button || this.disabled) return;
      if (button.dataset.label) { this.add(button.dataset.label); return; }
      if (button.hasAttribute("data-span-add")) { this.add(this.choice.value, true); return; }
      const item = button.closest("[data-index]");
      if (!item) return;
      const span = this.spans[Number(item.dataset.index)];
      if (button.hasAttribute("data-span-delete")) {
        this.spans.splice(Number(item.dataset.index), 1);
        this.say(`Deleted ${span.label || span.verdict}: ${span.start}–${span.end}`);
      } else if (button.hasAttribute("data-evidence-add")) {
        span.evidence = [...(span.evidence || []), { url: "", quote: "" }];
      } else if (button.hasAttribute("data-evidence-delete")) {
        span.evidence.splice(Number(button.dataset.evidenceDelete), 1);
      } else return;
      this.write();
      this.render();
      if (button.hasAttribute("data-evidence-add")) {
        const boxes = this.list.querySelectorAll(`[data-index="${item.dataset.index}"] input[data-evidence="url"]`);
        if (boxes.length) boxes[boxes.length - 1].focus();
      }
    }

    onInput(e) {
      const t = e.target;
      const item = t.closest("[data-index]");
      if (!item) return;
      const span = this.spans[Number(item.dataset.index)];
      if (t.dataset.claim === "verdict") span.verdict = t.value;
      else if (t.dataset.claim === "severity") span.severity = t.value || null;
      else if (t.dataset.evidence) span.evidence[Number(t.dataset.row)][t.dataset.evidence] = t.value;
      else return;
      this.write();
    }

    // -- the list --------------------------------------------------------------------------
    element(tag, attrs, ...children) {
      const el = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) {
        if (v === true) el.setAttribute(k, "");
        else if (v !== false && v !== undefined && v !== null) el.setAttribute(k, v);
      }
      for (const child of children) if (child !== null && child !== undefined) el.append(child);
      return el;
    }

    select(options, current, attrs) {
      const el = this.element("select", attrs);
      for (const [value, text] of options) {
        const option = this.element("option", { value }, text);
        if (value === (current || "")) option.selected = true;
        el.append(option);
      }
      return el;
    }

    render() {
      const empty = this.root.querySelector("[data-span-empty]");
      if (empty) empty.remove();
      const labelOf = (v) => (this.config.labels.find((l) => l.value === v) || { label: v }).label;
      const items = this.spans.map((s, index) => {
        const name = labelOf(s.label || s.verdict);
        const li = this.element("li", { class: "span-item", "data-index": index },
          this.element("span", { class: "span-tag" }, name), " ",
          this.element("q", { class: "span-quote" }, s.text || ""), " ",
          this.element("span", { class: "muted small" }, `${s.start}–${s.end}`), " ",
          this.element("button", { type: "button", class: "link", "data-span-delete": true,
            "aria-label": `Delete ${name} ${s.start}–${s.end}` }, "Delete"));
        if (this.claims) li.append(this.claimControls(s, index));
        return li;
      });
      this.list.replaceChildren(...items);
      this.list.hidden = items.length === 0;
      this.highlight();
    }

    claimControls(s, index) {
      const id = `${this.input.name}-${index}`;
      const box = this.element("div", { class: "claim-controls" });
      box.append(
        this.element("label", { for: `${id}-verdict` }, "Verdict "),
        this.select(this.config.labels.map((l) => [l.value, l.label]), s.verdict,
          { id: `${id}-verdict`, "data-claim": "verdict", disabled: this.disabled }),
        " ",
        this.element("label", { for: `${id}-severity` }, "Severity "),
        this.select([["", "—"], ...this.config.severities.map((v) => [v, v])], s.severity,
          { id: `${id}-severity`, "data-claim": "severity", disabled: this.disabled }));
      (s.evidence || []).forEach((ev, row) => {
        box.append(this.element("div", { class: "claim-evidence" },
          this.element("label", { for: `${id}-url-${row}` }, "Evidence URL "),
          this.element("input", { type: "url", id: `${id}-url-${row}`, value: ev.url || "", placeholder: "https://…",
            "data-evidence": "url", "data-row": row, disabled: this.disabled }), " ",
          this.element("label", { for: `${id}-quote-${row}` }, "Quote "),
          this.element("input", { type: "text", id: `${id}-quote-${row}`, value: ev.quote || "",
            "data-evidence": "quote", "data-row": row, disabled: this.disabled }), " ",
          this.element("button", { type: "button", class: "link", "data-evidence-delete": row,
            "aria-label": `Remove evidence ${row + 1}` }, "Remove")));
      });
      box.append(this.element("button", { type: "button", class: "link", "data-evidence-add": true }, "Add evidence"));
      return box;
    }

    // Marked spans shown on the text with the CSS Custom Highlight API (no change to the text's DOM,
    // so offsets stay true); browsers without it just show the list.
    highlight() {
      if (!this.text || !window.CSS || !CSS.highlights || typeof Highlight === "undefined") return;
      const ranges = [];
      // The text does not change under the widget: its tables are made once, when first needed.
      this.units = this.units || unitTable(this.full);
      this.nodes = this.nodes || textNodes(this.text);
      for (const s of this.spans) {
        const at = this.visibleRange(s);
        if (!at) continue;
        const start = pointIn(this.nodes, at[0]), end = pointIn(this.nodes, at[1]);
        if (!start || !end) continue;
        const range = document.createRange();
        range.setStart(...start); range.setEnd(...end);
        ranges.push(range);
      }
      registry.set(this, ranges);
      CSS.highlights.set("inkwell-spans", new Highlight(...ranges, ...otherRanges(this)));
    }

    // A span's UTF-16 range in the visible text: its offsets when the text is shown as written;
    // on rendered markdown, its quote where it appears nearest the same relative position.
    visibleRange(s) {
      if (s.end > this.length || s.start < 0) return null;
      if (!this.source) return [this.units[s.start], this.units[s.end]];
      const quote = flatLines(s.text || this.full.slice(this.units[s.start], this.units[s.end]));
      const guess = this.units[s.start] / Math.max(this.full.length, 1) * this.visible.length;
      let best = -1, at = this.visible.indexOf(quote);
      while (at !== -1) {
        if (best === -1 || Math.abs(at - guess) < Math.abs(best - guess)) best = at;
        at = this.visible.indexOf(quote, at + 1);
      }
      return best === -1 ? null : [best, best + quote.length];
    }
  }

  // Every widget's ranges are shown in the one highlight (several fields may mark one text).
  const registry = new Map();
  function otherRanges(widget) {
    const out = [];
    for (const [other, ranges] of registry) {
      if (other !== widget && other.root.isConnected) out.push(...ranges);
      else if (!other.root.isConnected) registry.delete(other);
    }
    return out;
  }

  function startAll(scope) {
    for (const root of (scope || document).querySelectorAll("[data-span-widget]:not([data-span-ready])")) {
      root.setAttribute("data-span-ready", "");
      root.spanWidget = new SpanWidget(root);
    }
  }

  window.inkwellSpans = { startAll };
  document.addEventListener("htmx:load", (event) => startAll(event.detail.elt));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => startAll(document));
  else startAll(document);
})();
