// Box and polygon fields (components/_shape_widget.html) on an image display part, drawn with
// Annotorious (static/vendor/annotorious.js, from npm). Annotorious draws, selects, moves and
// resizes with the mouse, in the image's own pixels; this file keeps the field's hidden input (the
// answer as JSON: boxes [{label, x, y, w, h}], polygons [{label, points}]) in step with it, labels
// shapes, lists them, and adds the keyboard: N adds a shape in the middle of the visible image,
// arrow keys move the selected one (Ctrl: 10 px), Shift+arrows resize it, Delete removes it, a
// label's key labels it. No styles option is given to Annotorious: it would write style
// attributes, which the Content-Security-Policy refuses; the CSS file styles the shapes.
(() => {
  // Shapes snap to whole image pixels (the server takes hundredths, for programs that send them).
  const round = (v) => Math.round(v);
  const clamp = (v, low, high) => Math.min(Math.max(v, low), high);

  class ShapeWidget {
    constructor(root) {
      this.root = root;
      this.config = JSON.parse(root.dataset.config);
      this.kind = this.config.kind;
      this.noun = this.kind === "polygon" ? "polygon" : "box";
      this.input = root.querySelector("[data-shape-value]");
      this.list = root.querySelector("[data-shape-list]");
      this.status = root.querySelector("[data-shape-status]");
      this.disabled = !!root.closest("fieldset[disabled]");
      this.label = (this.config.labels[0] || {}).value;
      this.image = document.querySelector(`img[data-image="${CSS.escape(this.config.target)}"]`);
      this.part = this.image && this.image.closest("[data-image-part]");
      this.selected = null;
      this.counter = 0;
      if (!this.image) { this.say("The image to draw on is not on this page."); return; }
      if (this.image.complete && this.image.naturalWidth) this.start();
      else this.image.addEventListener("load", () => this.start(), { once: true });
    }

    start() {
      this.width = this.image.naturalWidth;
      this.height = this.image.naturalHeight;
      this.anno = Annotorious.createImageAnnotator(this.image, {
        drawingEnabled: !this.disabled, userSelectAction: this.disabled ? "NONE" : "EDIT",
        // A polygon is drawn point by point with clicks (in "drag" mode Annotorious ignores them).
        drawingMode: this.kind === "polygon" ? "click" : "drag",
      });
      this.anno.setDrawingTool(this.kind === "polygon" ? "polygon" : "rectangle");
      if (this.part) this.part.classList.add("shape-drawing");
      this.load();
      this.anno.on("createAnnotation", (a) => this.created(a));
      this.anno.on("updateAnnotation", () => this.changed());
      this.anno.on("deleteAnnotation", () => this.changed());
      this.anno.on("selectionChanged", (list) => { this.selected = list.length ? list[0].id : null; this.render(); });
      this.root.addEventListener("click", (e) => this.onClick(e));
      document.addEventListener("keydown", (e) => this.onKey(e));
      this.input.addEventListener("coedit:render", () => this.load());
      // Annotorious tells of a moved or resized shape on its own schedule (sometimes only at the next
      // selection change); its store is current at once, so the answer is read from it after every
      // pointer release on the image too.
      const layer = this.image.parentElement;
      layer.addEventListener("pointerup", () => setTimeout(() => this.write(), 0));
    }

    say(text) { if (this.status) this.status.textContent = text; }

    // -- between the answer and Annotorious ---------------------------------------------------
    read() {
      try {
        const value = JSON.parse(this.input.value || "null");
        return Array.isArray(value) ? value.filter((s) => s && typeof s === "object") : [];
      } catch (_) { return []; }
    }

    toAnnotation(shape) {
      const id = `shape-${++this.counter}`;
      let selector;
      if (this.kind === "polygon") {
        const points = (shape.points || []).map((p) => [p[0], p[1]]);
        const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
        selector = { type: "POLYGON", geometry: { points, bounds: {
          minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) } } };
      } else {
        selector = { type: "RECTANGLE", geometry: { x: shape.x, y: shape.y, w: shape.w, h: shape.h, bounds: {
          minX: shape.x, minY: shape.y, maxX: shape.x + shape.w, maxY: shape.y + shape.h } } };
      }
      return { id, bodies: [this.body(id, shape.label)], target: { annotation: id, selector } };
    }

    body(id, label) { return { id: `${id}-label`, annotation: id, purpose: "tagging", value: label }; }

    labelOf(a) {
      const body = (a.bodies || []).find((b) => b.purpose === "tagging");
      return body ? body.value : this.label;
    }

    // An annotation as an answer shape, kept inside the image, in whole pixels.
    toShape(a) {
      const g = a.target.selector.geometry;
      if (this.kind === "polygon") {
        return { label: this.labelOf(a), points: g.points.map(([x, y]) =>
          [round(clamp(x, 0, this.width)), round(clamp(y, 0, this.height))]) };
      }
      let { x: left, y: top, w, h } = g;
      if (g.rot) {  // a rotated rectangle (the handle is hidden, but a program may set one): its bounds
        const cx = left + w / 2, cy = top + h / 2, cos = Math.abs(Math.cos(g.rot)), sin = Math.abs(Math.sin(g.rot));
        [w, h] = [w * cos + h * sin, w * sin + h * cos];
        [left, top] = [cx - w / 2, cy - h / 2];
      }
      const x = clamp(left, 0, this.width), y = clamp(top, 0, this.height);
      return { label: this.labelOf(a), x: round(x), y: round(y),
               w: round(clamp(left + w, 0, this.width) - x), h: round(clamp(top + h, 0, this.height) - y) };
    }

    load() {
      this.anno.setAnnotations(this.read().map((s) => this.toAnnotation(s)), true);
      this.selected = null;
      this.render();
    }

    write() {
      const shapes = this.anno.getAnnotations().map((a) => this.toShape(a));
      const text = JSON.stringify(shapes);
      if (text === this.input.value) { this.render(); return; }
      this.input.value = text;
      // Others (co-editing) learn of the change from the hidden input, as from any field.
      this.input.dispatchEvent(new Event("change", { bubbles: true }));
      this.render();
    }

    size(shape) {
      if (this.kind !== "polygon") return [shape.w, shape.h];
      const xs = shape.points.map((p) => p[0]), ys = shape.points.map((p) => p[1]);
      return [Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)];
    }

    created(a) {
      const shape = this.toShape(a);
      if (Math.min(...this.size(shape)) < (this.config.min_size || 0)) {
        this.anno.removeAnnotation(a.id);
        this.say(`Too small: a ${this.noun} must be at least ${this.config.min_size} px wide and high.`);
        return;
      }
      this.anno.updateAnnotation({ ...a, bodies: [this.body(a.id, this.label)] });
      this.say(`${this.label} ${this.noun} added.`);
      this.write();
    }

    changed() { this.write(); }

    // -- the keyboard and the buttons ---------------------------------------------------------
    ours(target) { return this.root.contains(target) || (this.part && this.part.contains(target)); }

    onKey(event) {
      if (this.disabled || event.defaultPrevented || event.altKey || event.metaKey || !this.ours(event.target)) return;
      if (event.target.matches("input, textarea, select")) return;
      const key = event.key;
      const step = event.ctrlKey ? 10 : 1;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[key] && this.selected) {
        this.nudge(this.selected, ...moves[key], event.shiftKey);
      } else if ((key === "Delete" || key === "Backspace") && this.selected) {
        this.remove(this.selected);
      } else if (!event.ctrlKey && key.toLowerCase() === "n") {
        this.addInMiddle();
      } else if (!event.ctrlKey && key === "Escape" && this.selected) {
        this.anno.cancelSelected();
      } else if (!event.ctrlKey && this.config.labels.some((l) => l.hotkey === key.toLowerCase())) {
        this.choose(this.config.labels.find((l) => l.hotkey === key.toLowerCase()).value);
      } else {
        return;
      }
      event.preventDefault();
    }

    onClick(event) {
      const button = event.target.closest("button");
      if (!button || this.disabled) return;
      if (button.dataset.label !== undefined) this.choose(button.dataset.label);
      else if (button.hasAttribute("data-shape-add")) this.addInMiddle();
      else if (button.dataset.select) this.select(button.dataset.select);
      else if (button.dataset.remove) this.remove(button.dataset.remove);
    }

    choose(label) {
      this.label = label;
      if (this.selected) {
        const a = this.anno.getAnnotationById(this.selected);
        if (a) { this.anno.updateAnnotation({ ...a, bodies: [this.body(a.id, label)] }); this.write(); }
      }
      this.say(this.selected ? `Labelled ${label}.` : `New ${this.noun}es: ${label}.`);
      this.render();
    }

    select(id) { this.anno.setSelected(id); this.selected = id; this.render(); }

    remove(id) {
      this.anno.removeAnnotation(id);
      if (this.selected === id) this.selected = null;
      this.say(`${this.noun[0].toUpperCase()}${this.noun.slice(1)} deleted.`);
      this.write();
    }

    // A shape a fifth of the visible image wide, in the middle of what the frame shows.
    addInMiddle() {
      const frame = this.part && this.part.querySelector("[data-image-frame]");
      const scale = this.width / this.image.getBoundingClientRect().width;
      const cx = frame ? (frame.scrollLeft + frame.clientWidth / 2) * scale : this.width / 2;
      const cy = frame ? (frame.scrollTop + Math.min(frame.clientHeight, this.image.height) / 2) * scale : this.height / 2;
      const side = Math.max(this.config.min_size || 1, Math.round(Math.min(this.width, this.height) / 5));
      const x = clamp(cx - side / 2, 0, this.width - side), y = clamp(cy - side / 2, 0, this.height - side);
      const shape = this.kind === "polygon"
        ? { label: this.label, points: [[x, y], [x + side, y], [x + side, y + side], [x, y + side]] }
        : { label: this.label, x, y, w: side, h: side };
      const a = this.toAnnotation(shape);
      this.anno.addAnnotation(a);
      this.write();
      this.select(a.id);
      this.say(`${this.label} ${this.noun} added in the middle; move it with the arrow keys.`);
    }

    // Move (or with resize, grow/shrink the right and bottom edges of) a shape by dx, dy pixels.
    nudge(id, dx, dy, resize) {
      const a = this.anno.getAnnotationById(id);
      if (!a) return;
      const shape = this.toShape(a);
      let next;
      if (this.kind === "polygon") {
        const xs = shape.points.map((p) => p[0]), ys = shape.points.map((p) => p[1]);
        const x0 = Math.min(...xs), y0 = Math.min(...ys), w = Math.max(...xs) - x0, h = Math.max(...ys) - y0;
        const sx = resize && w ? Math.max(this.config.min_size || 1, w + dx) / w : 1;
        const sy = resize && h ? Math.max(this.config.min_size || 1, h + dy) / h : 1;
        const mx = resize ? 0 : clamp(dx, -x0, this.width - x0 - w), my = resize ? 0 : clamp(dy, -y0, this.height - y0 - h);
        next = { label: shape.label, points: shape.points.map(([px, py]) =>
          [x0 + (px - x0) * sx + mx, y0 + (py - y0) * sy + my]) };
      } else if (resize) {
        const min = this.config.min_size || 1;
        next = { ...shape, w: clamp(shape.w + dx, min, this.width - shape.x), h: clamp(shape.h + dy, min, this.height - shape.y) };
      } else {
        next = { ...shape, x: clamp(shape.x + dx, 0, this.width - shape.w), y: clamp(shape.y + dy, 0, this.height - shape.h) };
      }
      const moved = this.toAnnotation(next);
      this.anno.updateAnnotation({ ...a, target: { ...a.target, selector: moved.target.selector } });
      this.write();
    }

    render() {
      if (!this.list) return;
      const empty = this.root.querySelector("[data-shape-empty]");
      const annotations = this.anno ? this.anno.getAnnotations() : [];
      if (empty) empty.hidden = annotations.length > 0;
      for (const button of this.root.querySelectorAll(".shape-label")) {
        button.setAttribute("aria-checked", String(button.dataset.label === this.label));
      }
      // The list is drawn anew: a button that had the focus gives it to its successor, so the keys
      // keep working on the shape just selected from the list.
      const focused = this.list.contains(document.activeElement) ? document.activeElement : null;
      const refocus = focused && (focused.dataset.select ? `[data-select="${CSS.escape(focused.dataset.select)}"]`
        : focused.dataset.remove ? "[data-remove]" : null);
      this.list.replaceChildren(...annotations.map((a, index) => {
        const shape = this.toShape(a);
        const item = document.createElement("li");
        item.className = "shape-item";
        if (a.id === this.selected) item.setAttribute("aria-current", "true");
        const tag = document.createElement("span");
        tag.className = "shape-tag";
        tag.textContent = shape.label;
        const where = document.createElement("span");
        where.className = "muted small";
        where.textContent = this.kind === "polygon"
          ? `${shape.points.length} points from (${shape.points[0].join(", ")})`
          : `(${shape.x}, ${shape.y}) ${shape.w}×${shape.h} px`;
        const select = document.createElement("button");
        select.type = "button"; select.className = "secondary"; select.dataset.select = a.id;
        select.textContent = "Select"; select.setAttribute("aria-label", `Select ${this.noun} ${index + 1}`);
        const remove = document.createElement("button");
        remove.type = "button"; remove.className = "secondary"; remove.dataset.remove = a.id;
        remove.textContent = "Delete"; remove.setAttribute("aria-label", `Delete ${this.noun} ${index + 1}`);
        item.append(tag, " ", where, " ", select, " ", remove);
        return item;
      }));
      if (focused) {
        const successor = refocus && this.list.querySelector(refocus);
        (successor || this.root).focus();
      }
    }
  }

  function all() {
    document.querySelectorAll("[data-shape-widget]").forEach((root) => {
      if (!root.shapeWidget) root.shapeWidget = new ShapeWidget(root);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
  document.addEventListener("htmx:afterSettle", all);
})();
