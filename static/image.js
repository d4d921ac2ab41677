// Zoom and pan of image display parts (components/image/display.html): the stage is widened to a
// multiple of the frame's width (the image fills it, so it stays fit to the width at 100%) and the
// frame scrolls, which pans. + / − zoom, 0 fits; the arrow keys scroll the focused frame (unless a
// shape widget uses them for a selected shape: it calls preventDefault). Styles are set through
// the CSSOM, which the Content-Security-Policy allows (style attributes in markup it does not).
(() => {
  const STEPS = [1, 1.5, 2, 3, 4, 6, 8];

  function setUp(part) {
    if (part.dataset.imageReady) return;
    part.dataset.imageReady = "1";
    const frame = part.querySelector("[data-image-frame]");
    const stage = part.querySelector("[data-image-stage]");
    const level = part.querySelector("[data-zoom-level]");
    let index = 0;

    function zoomTo(next) {
      const centre = { x: (frame.scrollLeft + frame.clientWidth / 2) / stage.offsetWidth,
                       y: (frame.scrollTop + frame.clientHeight / 2) / stage.offsetHeight };
      index = Math.max(0, Math.min(STEPS.length - 1, next));
      stage.style.width = `${STEPS[index] * 100}%`;
      frame.scrollLeft = centre.x * stage.offsetWidth - frame.clientWidth / 2;
      frame.scrollTop = centre.y * stage.offsetHeight - frame.clientHeight / 2;
      if (level) level.textContent = `${Math.round(STEPS[index] * 100)}%`;
      part.dispatchEvent(new CustomEvent("image:zoom", { bubbles: true, detail: { zoom: STEPS[index] } }));
    }

    part.addEventListener("click", (event) => {
      const button = event.target.closest("[data-zoom]");
      if (!button) return;
      const how = button.dataset.zoom;
      zoomTo(how === "fit" ? 0 : how === "in" ? index + 1 : index - 1);
    });
    // Keys work while the frame, or a shape widget bound to this image, has focus.
    const onKey = (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      if (event.target.matches && event.target.matches("input, textarea, select")) return;
      if (event.key === "+" || event.key === "=") zoomTo(index + 1);
      else if (event.key === "-" || event.key === "_") zoomTo(index - 1);
      else if (event.key === "0") zoomTo(0);
      else return;
      event.preventDefault();
    };
    frame.addEventListener("keydown", onKey);
    part.imageZoomKey = onKey;
  }

  function all() { document.querySelectorAll("[data-image-part]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
  document.addEventListener("htmx:afterSettle", all);
})();
