// Loaded by index.html (a file, not an inline script, so that the page's
// Content-Security-Policy can forbid inline scripts). backend/build.rs fills
// in the content-hashed names.

// The saved theme, applied before the first paint (see src/theme.rs).
try {
  document.documentElement.dataset.theme = localStorage.getItem("crm360.theme")
    || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
} catch (e) { /* no storage: the system theme */ }

// Start the app once <body> exists.
function start() {
  import("/{{SCRIPT}}").then((app) => app.default({ module_or_path: "/{{WASM}}" }));
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
