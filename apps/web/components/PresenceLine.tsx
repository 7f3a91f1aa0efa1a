"use client";

import type { SpaceId } from "@duet/protocol";
import { estimatedWaitText, presenceHereText } from "../lib/copy";
import { usePresence } from "./DuetProvider";

/**
 * "quiet right now · usually under a minute" for one space, from the server's `presence`. Until
 * the first figures come (after the connection opens, a moment after the page has loaded) its
 * line is kept empty, so that what follows it (topics, Start) does not move down when they
 * arrive: a layout shift, which Lighthouse counted on /stimchat (docs/performance.md).
 */
export function PresenceLine({ space }: { space: SpaceId }) {
  const presence = usePresence();
  const busy = presence?.spaces.find((p) => p.id === space);
  if (!busy) {
    return (
      <p className="presence muted" aria-hidden="true">
        {"\u00a0"}
      </p>
    );
  }
  const wait = busy.estimatedWaitMs !== undefined ? estimatedWaitText(busy.estimatedWaitMs) : null;
  return (
    <p className="presence muted">
      {presenceHereText(busy.here)}
      {wait ? (
        <>
          <span className="visually-hidden">, </span>
          <span className="space-presence-sep" aria-hidden="true">
            ·
          </span>
          {wait}
        </>
      ) : null}
    </p>
  );
}
