/**
 * The colour theme: "light" or "dark" on <html data-theme>, which globals.css reads. The person's
 * own choice (ThemeToggle) is kept in this browser's localStorage under THEME_KEY; without one,
 * the system's `prefers-color-scheme` decides, live.
 */
export const THEME_KEY = "duet.theme";

export type Theme = "light" | "dark";

/**
 * Runs inline in <head>, before the first paint (layout.tsx, with the page's CSP nonce), so a
 * dark-theme person never sees a flash of the light one. Kept tiny and dependency-free; also
 * exposes `__duetApplyTheme` for the toggle, and follows the system setting and other tabs.
 */
export const THEME_SCRIPT = `(function () {
  var root = document.documentElement;
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  function apply() {
    var chosen = null;
    try { chosen = localStorage.getItem(${JSON.stringify(THEME_KEY)}); } catch (e) {}
    root.dataset.theme = chosen === "light" || chosen === "dark" ? chosen : dark.matches ? "dark" : "light";
  }
  apply();
  dark.addEventListener("change", apply);
  window.addEventListener("storage", function (e) { if (e.key === ${JSON.stringify(THEME_KEY)}) apply(); });
  window.__duetApplyTheme = apply;
})();`;

/** The theme <html> shows now (the script above set it). */
export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
}

/** Remembers `theme` as this browser's choice and shows it at once. */
export function chooseTheme(theme: Theme): void {
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Storage refused (private mode): the choice lasts for this page only.
  }
  document.documentElement.dataset.theme = theme;
}
