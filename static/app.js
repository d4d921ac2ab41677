// Inkwell's own small glue for htmx. Third-party code is in static/vendor (from npm).
document.addEventListener("htmx:beforeSwap", (event) => {
  // A 422 carries the form back with its per-field errors and what was typed.
  if (event.detail.xhr && event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

function setLive(state, text) {
  const badge = document.getElementById("live");
  if (badge) { badge.dataset.state = state; badge.textContent = text; }
}
document.addEventListener("htmx:wsOpen", () => setLive("open", "live"));
document.addEventListener("htmx:wsClose", () => setLive("closed", "reconnecting…"));
document.addEventListener("htmx:wsError", () => setLive("closed", "reconnecting…"));

// In the workspace, any other failed request would otherwise do nothing visible: say so above the
// task, leaving the form as it is (the next successful swap replaces the message).
function showRequestError(elt, text) {
  const host = elt && elt.closest && elt.closest("#task");
  if (!host) return;
  let box = host.querySelector(":scope > .request-error");
  if (!box) {
    box = document.createElement("p");
    box.className = "error request-error";
    box.setAttribute("role", "alert");
    host.prepend(box);
  }
  box.textContent = text;
}
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  const hint = status === 401 || status === 403 ? "You may have been signed out: sign in again in another tab, then retry."
    : "Nothing you entered was lost; try again, or reload the page if it keeps failing.";
  showRequestError(event.detail.elt, `That did not go through (error ${status}). ${hint}`);
});
document.addEventListener("htmx:sendError", (event) => {
  showRequestError(event.detail.elt, "Could not reach Inkwell. Nothing you entered was lost; check your connection and try again.");
});

// A polled region marked data-poll-pauses-while-editing skips its refresh while someone is working in
// it (a <details> form open, or focus inside), so what they are typing is not replaced. Done here, not in
// an hx-trigger filter: those are evaluated as script, which the Content-Security-Policy forbids.
document.addEventListener("htmx:confirm", (event) => {
  const elt = event.detail.elt;
  if (elt.matches("[data-poll-pauses-while-editing]") && elt.querySelector("details[open], :focus")) {
    event.preventDefault();
  }
});

// Ctrl+Enter (⌘+Enter on a Mac) submits the answer form being worked in, from any of its fields or
// from anywhere on the page outside another form (a span's text, say): the same as its submit button.
// Only a form with one submit button: where there are several (a review's approve / edit / reject),
// which one is meant is the person's choice, not a shortcut's.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.defaultPrevented) return;
  const inside = event.target.closest && event.target.closest("form");
  const form = inside ? (inside.matches(".answer-form") ? inside : null) : document.querySelector("form.answer-form");
  if (!form) return;
  const buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
  if (buttons.length !== 1 || buttons[0].disabled) return;
  event.preventDefault();
  form.requestSubmit(buttons[0]);
});

// "?" (outside a text input) opens the keyboard help for the page: the keys every answer form has,
// then each field's own, read from its inputs' aria-keyshortcuts or data-hotkey (so a new widget's
// keys are listed by declaring them, not by editing this file). Escape or the button closes it.
function describeKey(el) {
  const label = el.getAttribute("aria-label") || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent)
    || el.textContent || el.value || "";
  return label.trim().replace(/\s+/g, " ");
}

function hotkeyRows() {
  const rows = [["Ctrl+Enter (⌘+Enter)", "submit the answer"], ["?", "show this help"]];
  document.querySelectorAll("form.answer-form fieldset[data-field]").forEach((box) => {
    const legend = box.querySelector("legend");
    const field = legend ? legend.textContent.trim().replace(/\s*\*$/, "") : box.dataset.field;
    const seen = new Set();
    box.querySelectorAll("[aria-keyshortcuts], [data-hotkey]").forEach((el) => {
      const key = el.getAttribute("aria-keyshortcuts") || el.dataset.hotkey;
      if (!key || seen.has(key + describeKey(el))) return;
      seen.add(key + describeKey(el));
      rows.push([key, `${field}: ${describeKey(el)}`]);
    });
  });
  return rows;
}

function openHotkeyHelp() {
  let dialog = document.getElementById("hotkey-help");
  if (!dialog) {
    dialog = document.createElement("dialog");
    dialog.id = "hotkey-help";
    dialog.className = "hotkey-help";
    dialog.setAttribute("aria-labelledby", "hotkey-help-title");
    document.body.append(dialog);
  }
  const title = document.createElement("h2");
  title.id = "hotkey-help-title";
  title.textContent = "Keyboard shortcuts";
  const table = document.createElement("table");
  for (const [key, what] of hotkeyRows()) {
    const row = table.insertRow();
    const keyCell = row.insertCell();
    const kbd = document.createElement("kbd");
    kbd.textContent = key;
    keyCell.append(kbd);
    row.insertCell().textContent = what;
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "secondary";
  close.textContent = "Close";
  close.addEventListener("click", () => dialog.close());
  dialog.replaceChildren(title, table, close);
  dialog.showModal();
  close.focus();
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "?" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target.closest && target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]")) return;
  if (!document.querySelector("form.answer-form")) return;
  event.preventDefault();
  openHotkeyHelp();
});
