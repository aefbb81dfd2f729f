/* Behaviour every page shares. It lives here, not in the HTML, because the
   Content-Security-Policy runs script from our own files only. Loaded with defer,
   after htmx (deferred too), and before htmx processes the page. */

// Forms that destroy something ask first; the question is in data-confirm.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A <select data-submit-on-change> sends its form as soon as a choice is made
// (a <noscript> button does it without JavaScript).
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-submit-on-change]")) {
    event.target.form.requestSubmit();
  }
});

// Bars take their width from data-fill (a percentage): the policy refuses style
// attributes. htmx.onLoad runs for the page and for every piece htmx swaps in.
htmx.onLoad((root) => {
  const bars = root.matches("[data-fill]") ? [root] : root.querySelectorAll("[data-fill]");
  for (const bar of bars) bar.style.width = `${bar.dataset.fill}%`;
});

// On narrow screens the main navigation folds behind the Menu button (CSS shows
// the button only with .js-nav, so without script the navigation stays open).
const topbar = document.querySelector(".topbar");
const navToggle = topbar && topbar.querySelector(".nav-toggle");
if (navToggle) {
  topbar.classList.add("js-nav");
  navToggle.addEventListener("click", () => {
    const open = topbar.classList.toggle("nav-open");
    navToggle.setAttribute("aria-expanded", String(open));
  });
}
