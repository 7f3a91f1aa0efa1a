"use client";

import { useCallback, useRef, useState } from "react";

/**
 * One moderator action at a time: `run(work)` does nothing (resolves `undefined`) while another
 * action is under way, else runs `work` with `busy` true (for disabling the buttons). The ref
 * guards against a second click before React re-renders with `busy`.
 */
export function useOneAtATime(): {
  busy: boolean;
  run<T>(work: () => Promise<T>): Promise<T | undefined>;
} {
  const [busy, setBusy] = useState(false);
  const busyRef = useRef(false);
  const run = useCallback(async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    if (busyRef.current) return undefined;
    busyRef.current = true;
    setBusy(true);
    try {
      return await work();
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  }, []);
  return { busy, run };
}
