"use client";

import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from "react";
import { HelpDialog } from "./HelpDialog";

interface HelpContextValue {
  /**
   * Opens the "I need help" panel (over any dialog that is open); `note`, a line said first (why
   * it opened without being asked, e.g. the partner offered it).
   */
  openHelp(note?: string): void;
}

const HelpContext = createContext<HelpContextValue | null>(null);

/** Alt+Shift+H, by the key's place (so a Mac's Option+Shift+H, which types "Ó", counts too). */
function isHelpShortcut(event: KeyboardEvent): boolean {
  return (
    event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey && event.code === "KeyH"
  );
}

/**
 * The one "I need help" panel of the app, and every way to it: the banner's button, the skip link
 * first in the tab order, buttons inside other dialogs (the stimchat rules), and the shortcut
 * Alt+Shift+H, which works on every screen and inside any dialog: it is heard at the window in
 * the capture phase, before anything on the page can stop it. The panel opens on top of an open
 * modal dialog (the top layer) and gives focus back to where it was when it closes.
 */
export function HelpProvider({ children }: { children: ReactNode }) {
  // null: closed; else open, with the line to say first (or none).
  const [open, setOpen] = useState<{ note: string | null } | null>(null);
  const value = useMemo<HelpContextValue>(
    () => ({ openHelp: (note) => setOpen({ note: note ?? null }) }),
    [],
  );

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!isHelpShortcut(event)) return;
      event.preventDefault();
      setOpen((current) => current ?? { note: null });
    };
    window.addEventListener("keydown", onKeyDown, true);
    return () => window.removeEventListener("keydown", onKeyDown, true);
  }, []);

  return (
    <HelpContext.Provider value={value}>
      {children}
      {open ? <HelpDialog note={open.note} onClose={() => setOpen(null)} /> : null}
    </HelpContext.Provider>
  );
}

export function useHelp(): HelpContextValue {
  const value = useContext(HelpContext);
  if (!value) throw new Error("useHelp must be used inside <HelpProvider>");
  return value;
}
