"use client";

import { useEffect } from "react";

/**
 * While `active`, leaving the page (refresh, closing the tab, typing another address) asks first
 * with the browser's own "Leave site?" prompt: in Duet that ends the conversation for both people,
 * and it cannot be resumed. Navigation inside the app (Exit, End) goes through its own dialogs
 * and is not affected. Browsers show the prompt only after the person interacted with the page.
 */
export function useLeaveGuard(active: boolean): void {
  useEffect(() => {
    if (!active) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers need returnValue set (its text is never shown).
      event.returnValue = "";
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, [active]);
}

/**
 * A touch-only device (a phone or tablet without a mouse): its on-screen keyboard's Enter starts
 * a new line, as in its other chat apps, and Send sends. Same query as globals.css's
 * `@media (hover: none) and (pointer: coarse)`.
 */
export const TOUCH_ONLY_QUERY = "(hover: none) and (pointer: coarse)";
