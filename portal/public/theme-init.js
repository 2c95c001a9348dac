// Applies the persisted theme before first paint (kept external so a strict CSP allows it).
try {
  var t = localStorage.getItem("swarmpress.theme");
  if (t === "dark" || (!t && window.matchMedia("(prefers-color-scheme: dark)").matches)) {
    document.documentElement.classList.add("dark");
  }
} catch (e) {
  /* storage unavailable */
}
