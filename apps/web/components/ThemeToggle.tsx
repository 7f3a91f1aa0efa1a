"use client";

import { useEffect, useState } from "react";
import { chooseTheme, currentTheme, type Theme } from "../lib/theme";
import { MoonIcon } from "./Icons";

/**
 * "Dark theme", pressed or not: flips the colour theme and remembers the choice in this browser.
 * Stays in step when the system setting or another tab changes the theme.
 */
export function ThemeToggle() {
  // Unknown until mounted (the server cannot know): rendered unpressed, then corrected.
  const [theme, setTheme] = useState<Theme | null>(null);
  useEffect(() => {
    setTheme(currentTheme());
    const observer = new MutationObserver(() => setTheme(currentTheme()));
    observer.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
    return () => observer.disconnect();
  }, []);

  const dark = theme === "dark";
  return (
    <button
      type="button"
      className="button button-theme"
      aria-pressed={dark}
      title="Dark theme"
      onClick={() => chooseTheme(dark ? "light" : "dark")}
    >
      <MoonIcon filled={dark} />
      <span className="visually-hidden">Dark theme</span>
    </button>
  );
}
