"use client";

import type { SpaceId } from "@duet/protocol";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { banEndText, CHAT_COPY, PASS_COPY, SPACE_COPY } from "../lib/copy";
import { useFocusedHeading } from "../lib/use-focused-heading";
import { useDuetActions, useDuetState, usePass } from "./DuetProvider";

/** How long "elsewhere" must last before its screen shows (a reload's old tab is closing). */
const ELSEWHERE_GRACE_MS = 800;
/** The longest delay setTimeout takes. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * What a stimchat or dormparty page may show, from the server's `identity`: `banned` and
 * `elsewhere` take the whole page; `ready` lets the person start; `setup` keeps Start disabled
 * while the pass is being set up (or the server has not said yet).
 */
export type TokenGate = "banned" | "elsewhere" | "setup" | "ready";

export function useTokenGate(): TokenGate {
  const { identity } = usePass();
  const status = identity?.status ?? null;
  const elsewhere = status === "elsewhere";
  const [elsewhereShown, setElsewhereShown] = useState(false);
  useEffect(() => {
    if (!elsewhere) {
      setElsewhereShown(false);
      return;
    }
    const timer = setTimeout(() => setElsewhereShown(true), ELSEWHERE_GRACE_MS);
    return () => clearTimeout(timer);
  }, [elsewhere]);

  if (status === "banned") return "banned";
  if (elsewhere) return elsewhereShown ? "elsewhere" : "setup";
  return status === "ok" ? "ready" : "setup";
}

/**
 * True once after the gate opened again (elsewhere → ready, banned → ready): the entry screen
 * that comes back takes focus on its heading.
 */
export function useGateReopened(gate: TokenGate): boolean {
  const closedRef = useRef(false);
  const [reopened, setReopened] = useState(false);
  useEffect(() => {
    if (gate === "banned" || gate === "elsewhere") closedRef.current = true;
    else if (gate === "ready" && closedRef.current) {
      closedRef.current = false;
      setReopened(true);
    }
  }, [gate]);
  return reopened;
}

/** Bans whose end this tab already reconnected for (once each, whatever the clocks say). */
const reconnectedAfter = new Set<number>();

/**
 * A banned browser on a stimchat or dormparty page (or in its room): why, until when, and a
 * way home. When a timed ban runs out while this is open, the tab reconnects once so that the
 * server can say "ok".
 */
export function BannedScreen({ space }: { space: SpaceId }) {
  const { reconnect } = useDuetActions();
  const { identity } = usePass();
  const headingRef = useFocusedHeading();
  const until = identity?.status === "banned" ? (identity.bannedUntil ?? null) : null;
  const [over, setOver] = useState(false);
  const title = SPACE_COPY[space]?.title ?? space;

  useEffect(() => {
    if (until === null || reconnectedAfter.has(until)) return;
    // A second past the end, so the server's clock has passed it too.
    const left = until - Date.now() + 1_000;
    if (left > MAX_TIMER_MS) return;
    const timer = setTimeout(
      () => {
        reconnectedAfter.add(until);
        setOver(true);
        reconnect();
      },
      Math.max(0, left),
    );
    return () => clearTimeout(timer);
  }, [until, reconnect]);

  return (
    <div className="page page-center">
      <h1 ref={headingRef} tabIndex={-1}>
        {PASS_COPY.bannedTitle(title)}
      </h1>
      <p className="lead">{PASS_COPY.bannedLead}</p>
      <p>
        {over
          ? PASS_COPY.bannedOver
          : until === null
            ? PASS_COPY.bannedForGood
            : PASS_COPY.bannedUntil(banEndText(until))}
      </p>
      <div className="actions">
        <Link href="/" className="button button-secondary">
          {CHAT_COPY.home}
        </Link>
      </div>
    </div>
  );
}

/** This browser's token is in use by another tab; the server flips this one to "ok" by itself. */
export function ElsewhereScreen() {
  const headingRef = useFocusedHeading();
  return (
    <div className="page page-center">
      <h1 ref={headingRef} tabIndex={-1}>
        {PASS_COPY.elsewhereTitle}
      </h1>
      <p className="lead">{PASS_COPY.elsewhereLead}</p>
      <div className="actions">
        <Link href="/" className="button button-secondary">
          {CHAT_COPY.home}
        </Link>
      </div>
    </div>
  );
}

/**
 * Under an entry screen's start button: "Setting up a private, anonymous pass for this browser…"
 * while the pass is being set up (no spinner; the line fades in only if it takes a moment), or
 * what went wrong with a "Try again". The status line is always in the page so that a change is
 * announced.
 */
export function PassStatus() {
  const { status } = useDuetState();
  const { retryPass } = useDuetActions();
  const { identity, pass } = usePass();
  let text: string | null = null;
  let canRetry = false;
  if (pass.phase === "limited") {
    text = PASS_COPY.limited(pass.retryAfterMs);
    canRetry = true;
  } else if (pass.phase === "failed") {
    text = pass.reason === "not_kept" ? PASS_COPY.notKept : PASS_COPY.failed;
    canRetry = true;
  } else if (pass.phase === "working" || (status === "connected" && identity?.status === "none")) {
    text = PASS_COPY.settingUp;
  }

  return (
    <div className="pass">
      <p role="status" className={canRetry ? "pass-line" : "pass-line pass-line-quiet"}>
        {text ?? ""}
      </p>
      {canRetry ? (
        <p>
          <button type="button" className="button button-secondary" onClick={retryPass}>
            {PASS_COPY.tryAgain}
          </button>
        </p>
      ) : null}
    </div>
  );
}
