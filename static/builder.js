// The set-up pages' small glue: reorder and remove interface-builder rows, confirm risky buttons.
// Rows carry their own key, so moving one changes only the order the form posts them in.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-row-action]");
  if (!button) return;
  const row = button.closest(".field-row");
  if (!row) return;
  const action = button.dataset.rowAction;
  if (action === "remove") {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    const focusTarget = next ? next.querySelector("input[type=text]") : document.querySelector("#builder-add button");
    if (focusTarget) focusTarget.focus();
    return;
  }
  if (action === "up" && row.previousElementSibling) {
    row.parentNode.insertBefore(row, row.previousElementSibling);
  } else if (action === "down" && row.nextElementSibling) {
    row.parentNode.insertBefore(row.nextElementSibling, row);
  }
  button.focus();
});

document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
