"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { HELP_COPY, HELP_SHORTCUT } from "../lib/copy";
import { useHelp } from "./HelpProvider";
import { Logo } from "./Logo";
import { ThemeToggle } from "./ThemeToggle";

/**
 * The banner of every screen: the name, the theme, and "I need help", always within reach — also
 * as the first tab stop (a skip link, shown when focused) and by Alt+Shift+H (HelpProvider).
 */
export function SiteHeader() {
  const pathname = usePathname();
  const { openHelp } = useHelp();
  // Inside a room the name is not a link: leaving a conversation goes through Exit.
  const inRoom = pathname.startsWith("/room/");

  return (
    <header className="site-header">
      {/* First in the tab order of every page: help in one key press (then Enter). */}
      <button
        type="button"
        className="skip-link"
        aria-keyshortcuts={HELP_SHORTCUT.keys}
        onClick={() => openHelp()}
      >
        {HELP_COPY.open} <span className="skip-link-keys">({HELP_SHORTCUT.words})</span>
      </button>
      <div className="site-header-inner">
        {inRoom ? (
          <span className="brand">
            <Logo />
            Duet
          </span>
        ) : (
          <Link className="brand" href="/">
            <Logo />
            Duet
          </Link>
        )}
        <div className="site-header-actions">
          <ThemeToggle />
          <button
            type="button"
            className="button button-help"
            aria-keyshortcuts={HELP_SHORTCUT.keys}
            onClick={() => openHelp()}
          >
            {HELP_COPY.open}
          </button>
        </div>
      </div>
    </header>
  );
}
