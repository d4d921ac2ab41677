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
