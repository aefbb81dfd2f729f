/* The message composer: a field chip puts its token at the caret, and the input
   event it fires lets htmx recount and refresh the preview. */
document.addEventListener("click", (event) => {
  const chip = event.target.closest("button[data-token]");
  if (!chip) return;
  const box = document.getElementById("id_text");
  box.setRangeText(chip.dataset.token, box.selectionStart, box.selectionEnd, "end");
  box.focus();
  box.dispatchEvent(new Event("input", {bubbles: true}));
});
