// Co-editing a review task (app/coedit/live.py has the protocol). Bundled with Yjs by
// static/build.mjs into static/vendor/coedit.js. Binds the review form's answer fields to one Yjs
// document (app/coedit/service.py describes it), by each field's Component.coedit:
// * "value": a plain value in the map "fields" (last writer wins, with a notice to the person whose
//   value was replaced);
// * "text": a Y.Text per field (characters merge);
// * "json" and "list": structured widgets (rubric, pairwise, spans...). Their protocol, the same
//   for every widget: the widget keeps a hidden input current with its answer as JSON -- marked
//   [data-coedit-json="<form_name>"], or the hidden input named form_name -- and fires "change" on
//   it; here that JSON goes into the document ("json": nested Y.Maps, so different keys such as two
//   rubric criteria merge; "list": a Y.Array of one Y.Map per item). A remote change sets the
//   hidden input and dispatches "coedit:render" on it, and the widget re-draws from it.
//   List items carry a stable "_id" in the document only (widgets never see it); a widget's new
//   list is matched to the document's items by content, so an unchanged span keeps its map, a
//   removed one is deleted and a new or adjusted one is added -- one reviewer adding a span while
//   another removes a different one merges to both changes.
// The document is kept across reconnects: on every (re)connect both sides exchange state vectors
// and send what the other lacks, so edits made offline merge when the connection returns.
import * as Y from "yjs";

const SYNC1 = 0, SYNC2 = 1, UPDATE = 2, JSON_MSG = 3;
const REMOTE = "remote", LOCAL = "local";
const FINAL = new Set([4403, 4404, 4409, 4413]); // refused, gone or decided: do not reconnect
const HEARTBEAT_MS = 10_000;

function frame(kind, bytes) {
  const out = new Uint8Array(bytes.length + 1);
  out[0] = kind;
  out.set(bytes, 1);
  return out;
}

function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function asString(v) {
  return v === null || v === undefined ? "" : String(v);
}

function shown(v) {
  if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) return "nothing";
  return Array.isArray(v) ? v.join(", ") : String(v);
}

function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

const STRUCTURED = new Set(["json", "list"]);
const ITEM_ID = "_id";
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const plain = (v) => (v instanceof Y.AbstractType ? v.toJSON() : v);

// One text per value, keys sorted and empty keys (null) left out: how list items are told apart.
function canonical(v) {
  if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
  if (isObject(v)) {
    return "{" + Object.keys(v).filter((k) => k !== ITEM_ID && v[k] !== null && v[k] !== undefined).sort()
      .map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",") + "}";
  }
  return JSON.stringify(v ?? null);
}

// A JSON value into a map key: objects as nested Y.Maps written key by key (so concurrent changes
// of different keys merge), everything else as a plain value, written only when it changed.
function writeJson(parent, key, value) {
  const current = parent.get(key);
  if (isObject(value)) {
    let map = current instanceof Y.Map ? current : null;
    if (!map) { map = new Y.Map(); parent.set(key, map); }
    for (const k of [...map.keys()]) if (!(k in value)) map.delete(k);
    for (const [k, v] of Object.entries(value)) writeJson(map, k, v);
  } else if (!same(plain(current), value)) {
    parent.set(key, value === undefined ? null : value);
  }
}

// A widget's list into the document's Y.Array: items matched by content; unmatched document items
// deleted, unmatched widget items added as new maps with a fresh _id.
function writeList(values, key, items) {
  let array = values.get(key);
  if (!(array instanceof Y.Array)) { array = new Y.Array(); values.set(key, array); }
  const wanted = new Map();
  for (const item of items) {
    const k = canonical(item);
    wanted.set(k, [...(wanted.get(k) || []), item]);
  }
  const existing = array.toArray();
  for (let i = existing.length - 1; i >= 0; i--) {
    const k = canonical(plain(existing[i]));
    const left = wanted.get(k);
    if (left && left.length) left.pop();
    else array.delete(i, 1);
  }
  for (const left of wanted.values()) {
    for (const item of left) {
      const map = new Y.Map();
      array.push([map]);
      for (const [k, v] of Object.entries(item)) if (k !== ITEM_ID) writeJson(map, k, v);
      map.set(ITEM_ID, `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`);
    }
  }
}

// Where an index of the old text is after a change (a Yjs delta over the old text): the caret
// stays with the characters around it; text inserted right at it by someone else goes after it.
function moveIndex(index, delta) {
  let old = 0, shift = 0;
  for (const op of delta) {
    if (op.retain) old += op.retain;
    else if (op.insert !== undefined) {
      if (old < index) shift += typeof op.insert === "string" ? op.insert.length : 1;
    } else if (op.delete) {
      if (old < index) shift -= Math.min(op.delete, index - old);
      old += op.delete;
    }
  }
  return index + shift;
}

function start(root) {
  const form = root.closest("form");
  const fields = JSON.parse(root.dataset.fields);
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  const doc = new Y.Doc();
  const values = doc.getMap("fields");
  const texts = {};
  for (const f of fields) if (f.coedit === "text") texts[f.name] = doc.getText("text:" + f.name);
  const status = root.querySelector(".coedit-status");
  const peopleBox = root.querySelector(".coedit-people");
  const notices = root.querySelector(".coedit-notices");
  const mine = new Map(); // structured field -> the value I set last (to tell when it is replaced)
  let socket = null, synced = false, done = false, retry = 0, retryTimer = null, people = [], focused = null;

  const setState = (state, text) => { root.dataset.state = state; status.textContent = text; };
  const inputs = (f) => form.querySelectorAll(`[name="${f.form_name}"]`);
  const textInput = (f) => form.querySelector(`#${f.form_name}-input`);
  const jsonInput = (f) => {
    if (window.inkwellCoeditEnsure) window.inkwellCoeditEnsure(); // static/coedit_widget.js makes them
    return form.querySelector(`[data-coedit-json="${f.form_name}"]`)
      || form.querySelector(`input[type=hidden][name="${f.form_name}"]`);
  };

  // A structured field's document value as its widget's JSON: list items without their _id, in
  // the object the widget wraps them in (claims: {"claims": [...]}) when it does.
  function widgetJson(f) {
    const v = plain(values.get(f.name));
    if (f.coedit !== "list") return v ?? null;
    const items = (Array.isArray(v) ? v : []).map((item) => {
      if (!isObject(item)) return item;
      const { [ITEM_ID]: _, ...rest } = item;
      return rest;
    });
    return f.list_key ? { [f.list_key]: items } : items;
  }
  function listOf(f, value) {
    if (f.list_key && isObject(value)) value = value[f.list_key];
    return Array.isArray(value) ? value.filter(isObject) : [];
  }

  // -- the document into the form
  function render(name) {
    const f = byName[name];
    if (!f) return;
    if (f.coedit === "text") {
      const el = textInput(f), value = texts[name].toString();
      if (el && el.value !== value) el.value = value;
      return;
    }
    if (STRUCTURED.has(f.coedit)) {
      const el = jsonInput(f);
      if (!el) return;
      let shown = null;
      try { shown = JSON.parse(el.value || "null"); } catch (_) { /* the widget wrote no JSON yet */ }
      const value = widgetJson(f);
      if (same(shown, value) || (f.coedit === "list" && canonical(listOf(f, shown)) === canonical(listOf(f, value)))) return;
      el.value = JSON.stringify(value);
      el.dispatchEvent(new CustomEvent("coedit:render", { bubbles: true }));
      return;
    }
    const v = values.get(name);
    if (f.type === "multi_choice") {
      const chosen = new Set((Array.isArray(v) ? v : v == null ? [] : [v]).map(asString));
      inputs(f).forEach((el) => { el.checked = chosen.has(el.value); });
    } else if (f.type === "number") {
      const el = textInput(f);
      if (el && el.value !== asString(v) && Number(el.value) !== v) el.value = asString(v);
    } else {
      inputs(f).forEach((el) => {
        if (el.type === "radio" || el.type === "checkbox") el.checked = el.value === asString(v);
        else if (el.value !== asString(v)) el.value = asString(v);
      });
    }
  }
  const renderAll = () => fields.forEach((f) => render(f.name));

  function notice(text) {
    const p = document.createElement("p");
    p.className = "coedit-notice";
    p.textContent = text;
    notices.append(p);
    setTimeout(() => p.remove(), 10_000);
  }

  const authors = new Map(); // Yjs client id -> name, of everyone seen here (kept across reconnects)
  function whoWrote(key) {
    const item = values._map.get(key); // the winning write; its client id names its author
    return (item && authors.get(item.id.client)) || "Someone";
  }

  values.observeDeep((events, transaction) => {
    if (transaction.origin === LOCAL) return;
    const nested = new Set(events.filter((e) => e.path.length).map((e) => e.path[0]));
    for (const key of nested) {  // inside a structured field (a criterion, a span)
      render(key);
      const box = form.querySelector(`fieldset[data-field="${key}"]`);
      if (box) { box.classList.remove("coedit-changed"); void box.offsetWidth; box.classList.add("coedit-changed"); }
    }
    const top = events.find((e) => e.target === values);
    for (const key of top ? top.keysChanged : []) {
      if (nested.has(key)) continue;
      render(key);
      const now = values.get(key);
      if (mine.has(key) && !same(mine.get(key), now)) {
        const label = byName[key] ? byName[key].label : key;
        notice(`${whoWrote(key)} changed ${label} from ${shown(mine.get(key))} to ${shown(now)}`);
        mine.delete(key);
      }
      const box = form.querySelector(`fieldset[data-field="${key}"]`);
      if (box) { box.classList.remove("coedit-changed"); void box.offsetWidth; box.classList.add("coedit-changed"); }
    }
  });
  for (const [name, ytext] of Object.entries(texts)) {
    ytext.observe((event) => {
      if (event.transaction.origin === LOCAL) return;
      const el = textInput(byName[name]);
      if (!el) return;
      const active = document.activeElement === el;
      const [s, e] = [el.selectionStart, el.selectionEnd];
      el.value = ytext.toString();
      if (active) el.setSelectionRange(moveIndex(s, event.delta), moveIndex(e, event.delta));
    });
  }

  // -- the form into the document (only once it holds the shared state)
  function local(fn) { doc.transact(fn, LOCAL); }
  for (const f of fields) {
    if (STRUCTURED.has(f.coedit)) {
      // Delegated: the widget's hidden input may be made, or re-made, after this runs.
      form.addEventListener("change", (event) => {
        const el = event.target;
        if (!synced || !(el instanceof HTMLInputElement) || el !== jsonInput(f)) return;
        let value;
        try { value = JSON.parse(el.value || "null"); } catch (_) { return; }
        local(() => {
          if (f.coedit === "list") writeList(values, f.name, listOf(f, value));
          else writeJson(values, f.name, value);
        });
      });
    } else if (f.coedit === "text") {
      const el = textInput(f);
      if (!el) continue;
      el.addEventListener("input", () => {
        if (!synced) return;
        const ytext = texts[f.name], before = ytext.toString(), after = el.value;
        let start = 0;
        while (start < before.length && start < after.length && before[start] === after[start]) start++;
        let end = 0;
        while (end < before.length - start && end < after.length - start
               && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
        local(() => {
          if (before.length - start - end > 0) ytext.delete(start, before.length - start - end);
          if (after.length - start - end > 0) ytext.insert(start, after.slice(start, after.length - end));
        });
      });
    } else {
      const update = () => {
        if (!synced) return;
        let v;
        if (f.type === "multi_choice") v = [...inputs(f)].filter((el) => el.checked).map((el) => el.value);
        else if (f.type === "number") v = textInput(f).value;
        else v = ([...inputs(f)].find((el) => el.checked) || { value: "" }).value;
        if (same(values.get(f.name), v)) return;
        mine.set(f.name, v);
        local(() => values.set(f.name, v));
      };
      inputs(f).forEach((el) => {
        el.addEventListener("change", update);
        if (f.type === "number") el.addEventListener("input", update);
      });
    }
  }

  // -- presence
  function sendJson(body) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(frame(JSON_MSG, new TextEncoder().encode(JSON.stringify(body))));
  }
  const announce = () => sendJson({ type: "presence", field: focused, client: doc.clientID });
  form.addEventListener("focusin", (e) => {
    const box = e.target.closest && e.target.closest("fieldset[data-field]");
    const next = box ? box.dataset.field : null;
    if (next !== focused) { focused = next; announce(); }
  });
  form.addEventListener("focusout", () => setTimeout(() => {
    if (!form.contains(document.activeElement) && focused !== null) { focused = null; announce(); }
  }, 0));
  setInterval(announce, HEARTBEAT_MS);

  function showPeople(list) {
    people = list;
    for (const p of list) if (p.client != null) authors.set(p.client, p.name);
    peopleBox.replaceChildren();
    form.querySelectorAll(".coedit-marker").forEach((m) => m.remove());
    form.querySelectorAll("fieldset.coedit-here").forEach((f) => { f.classList.remove("coedit-here"); f.style.removeProperty("--coedit-colour"); });
    const seen = new Set();
    for (const p of list) {
      const me = p.client === doc.clientID;
      if (!seen.has(p.user_id)) {
        seen.add(p.user_id);
        const badge = document.createElement("span");
        badge.className = "coedit-avatar";
        badge.dataset.person = p.user_id;
        badge.style.setProperty("--coedit-colour", p.colour);
        badge.textContent = p.initials;
        badge.title = p.name + (me ? " (you)" : "") + (p.leaseholder ? " · decides" : "");
        peopleBox.append(badge);
      }
      if (me || !p.field) continue;
      const box = form.querySelector(`fieldset[data-field="${p.field}"]`);
      if (!box) continue;
      const marker = document.createElement("span");
      marker.className = "coedit-marker";
      marker.dataset.person = p.user_id;
      marker.style.setProperty("--coedit-colour", p.colour);
      marker.textContent = p.initials;
      marker.title = `${p.name} is here`;
      box.querySelector("legend").append(marker);
      box.classList.add("coedit-here");
      box.style.setProperty("--coedit-colour", p.colour);
    }
  }

  // -- the connection
  doc.on("update", (update, origin) => {
    if (origin !== REMOTE && socket && socket.readyState === WebSocket.OPEN) socket.send(frame(UPDATE, update));
  });

  function connect() {
    if (done) return;
    clearTimeout(retryTimer);
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.socket;
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    socket = ws;
    ws.onopen = () => {
      retry = 0;
      ws.send(frame(SYNC1, Y.encodeStateVector(doc)));
      announce();
    };
    ws.onmessage = (event) => {
      if (ws !== socket) return;
      const data = new Uint8Array(event.data), kind = data[0], payload = data.subarray(1);
      if (kind === SYNC1) {
        ws.send(frame(SYNC2, Y.encodeStateAsUpdate(doc, payload)));
      } else if (kind === SYNC2 || kind === UPDATE) {
        Y.applyUpdate(doc, payload, REMOTE);
        if (kind === SYNC2) {
          if (!synced) { synced = true; renderAll(); }
          setState("live", "editing live");
        }
      } else if (kind === JSON_MSG) {
        const body = JSON.parse(new TextDecoder().decode(payload));
        if (body.type === "people") showPeople(body.people);
        else if (body.type === "decided") {
          done = true;
          setState("decided", body.by ? `${body.by} decided this review` : "This review was decided");
          form.querySelectorAll("fieldset.field").forEach((f) => { f.disabled = true; });
        }
      }
    };
    ws.onclose = (event) => {
      if (ws !== socket) return;
      socket = null;
      showPeople([]);
      if (FINAL.has(event.code) || done) {
        done = true;
        if (root.dataset.state !== "decided") setState("closed", event.reason || "not open for editing");
        return;
      }
      setState("offline", "offline: your edits are kept and merge when the connection is back");
      retry = Math.min(retry + 1, 6);
      retryTimer = setTimeout(connect, navigator.onLine === false ? 5000 : Math.min(250 * 2 ** retry, 4000));
    };
  }
  window.addEventListener("offline", () => { if (socket) socket.close(); });
  window.addEventListener("online", () => { if (!socket) connect(); });

  // The decision posts the whole document too: the server merges it with what it stored.
  form.addEventListener("submit", () => {
    const state = root.querySelector('input[name="coedit_state"]');
    if (synced && state) state.value = toBase64(Y.encodeStateAsUpdate(doc));
  }, true);

  window.inkwellCoedit = { doc, texts, values, get people() { return people; }, get synced() { return synced; } };
  connect();
}

const root = document.querySelector("[data-coedit]");
if (root) start(root);
