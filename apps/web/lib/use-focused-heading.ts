"use client";

import { type RefObject, useEffect, useRef } from "react";

/**
 * A ref for a screen's heading (`tabIndex={-1}`) that takes the keyboard focus when the screen
 * appears, or whenever `when` turns true: screen readers then read where the person is now, and
 * Tab continues from there (WCAG 2.4.3). Without `when`, on mount only.
 */
export function useFocusedHeading(when = true): RefObject<HTMLHeadingElement | null> {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (when) ref.current?.focus();
  }, [when]);
  return ref;
}
