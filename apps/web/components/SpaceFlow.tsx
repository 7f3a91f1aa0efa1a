"use client";

import type { Ack, SpaceId, SpaceSummary, StateView } from "@duet/protocol";
import { type ReactNode, useState } from "react";
import { TOKEN_SPACES } from "../lib/copy";
import { useDuetActions, useDuetState } from "./DuetProvider";
import { BannedScreen, ElsewhereScreen, useGateReopened, useTokenGate } from "./PassScreens";
import { MatchedInterlude, SpaceNotOpen } from "./SpaceNotOpen";

export type WaitingView = Extract<StateView, { state: "WAITING" }>;

/** What a space's own entry screens get from the skeleton. */
export interface EntryContext {
  /** The space as the server's `welcome` offers it; undefined until `welcome` came. */
  summary: SpaceSummary | undefined;
  /** The entry screen was reached from another screen of this page: focus its heading. */
  focusHeading: boolean;
  /** Spaces with passes: this browser's pass is in order ("Start" may be pressed). */
  ready: boolean;
  /** Says the next entry screen is reached from another screen (see `focusHeading`). */
  markReturned(): void;
}

/**
 * The skeleton every space page shares, in this order: the space's waiting screen while this tab
 * searches there (`waiting`, with a `stop` that brings focus back to the entry screen's heading);
 * "Someone is here" while the provider takes the person to the room; "… is not open here" when
 * the server does not offer the space; in the spaces with passes (SPEC §6) the banned and
 * other-tab screens; then the space's own screens (`entry`: its choices, and anything else only
 * it has, such as stimchat's rules or its timed-out search). Keeping the order in one place keeps
 * the three pages from drifting apart.
 */
export function SpaceFlow({
  space,
  notOpenTitle,
  matchedLead,
  waiting,
  entry,
}: {
  space: SpaceId;
  notOpenTitle: string;
  /** The interlude's line, if the space has its own words for it. */
  matchedLead?: string;
  waiting(view: WaitingView, stop: () => Promise<Ack>): ReactNode;
  entry(context: EntryContext): ReactNode;
}) {
  const { state, spaces } = useDuetState();
  const { cancel } = useDuetActions();
  const [returned, setReturned] = useState(false);
  // Called in every space (hooks run unconditionally); only the spaces with passes look at it.
  const gate = useTokenGate();
  const reopened = useGateReopened(gate);
  const withPass = TOKEN_SPACES.has(space);

  if (state?.state === "WAITING" && state.space === space) {
    return waiting(state, async () => {
      const ack = await cancel();
      if (ack.ok) setReturned(true);
      return ack;
    });
  }

  if (state?.state === "MATCHED" || state?.state === "ACTIVE") {
    return <MatchedInterlude lead={matchedLead} />;
  }

  const summary = spaces?.find((s) => s.id === space);
  if (spaces !== null && !summary) return <SpaceNotOpen title={notOpenTitle} />;

  if (withPass && gate === "banned") return <BannedScreen space={space} />;
  if (withPass && gate === "elsewhere") return <ElsewhereScreen />;

  return entry({
    summary,
    focusHeading: returned || (withPass && reopened),
    ready: !withPass || gate === "ready",
    markReturned: () => setReturned(true),
  });
}
