"use client";

import type { SpaceId } from "@duet/protocol";
import Link from "next/link";
import { SPACE_COPY } from "../lib/copy";
import { useDuetState } from "./DuetProvider";

/**
 * On a space's entry screen while this tab is still looking for someone in another space: the
 * server ignores a second join, so say where the search is rather than let "Start" do nothing.
 */
export function StillWaiting({ here }: { here: SpaceId }) {
  const { state } = useDuetState();
  if (state?.state !== "WAITING" || state.space === here) return null;
  const there = SPACE_COPY[state.space];
  if (!there) return null;
  return (
    <p className="callout">
      You are still looking for someone in {there.title}.{" "}
      <Link href={there.href}>Go back to the waiting screen</Link>
    </p>
  );
}
