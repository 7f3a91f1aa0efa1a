"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { HelpDialog } from "./HelpDialog";
import { Logo } from "./Logo";
import { ThemeToggle } from "./ThemeToggle";

/** The banner of every screen: the name, and "I need help", always within reach. */
export function SiteHeader() {
  const pathname = usePathname();
  const [helpOpen, setHelpOpen] = useState(false);
  // Inside a room the name is not a link: leaving a conversation goes through Exit.
  const inRoom = pathname.startsWith("/room/");

  return (
    <header className="site-header">
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
          <button type="button" className="button button-help" onClick={() => setHelpOpen(true)}>
            I need help
          </button>
        </div>
      </div>
      {helpOpen ? <HelpDialog onClose={() => setHelpOpen(false)} /> : null}
    </header>
  );
}
