"use client";

import type { IdentityView } from "@duet/protocol";
import { useCallback, useEffect, useRef, useState } from "react";

/**
 * This browser's pass (token) for the spaces that use one, as far as this tab is getting it:
 * `idle` (nothing to do, or not started), `working` (proof of work, then a fresh connection that
 * carries the new cookie), `limited` (the server is handing out too many passes on this network:
 * try again after `retryAfterMs`), `failed` (`error`: the requests failed; `not_kept`: a pass was
 * issued but the next connection still had none, e.g. cookies are blocked).
 */
export type PassState =
  | { phase: "idle" }
  | { phase: "working" }
  | { phase: "limited"; retryAfterMs: number }
  | { phase: "failed"; reason: "error" | "not_kept" };

export interface TokenPass {
  pass: PassState;
  /** "Try again" after a limited or failed pass (stable). */
  retryPass(): void;
  /** The socket's `identity` event, for the pass to learn whether the new cookie arrived (stable). */
  noteIdentity(identity: IdentityView): void;
  /** Stops work in progress, e.g. when the socket goes away for good (stable). */
  abort(): void;
}

/**
 * Earning a pass, kept apart from the connection it serves. On a stimchat or dormparty page
 * (`tokenPage`), a connection the server says has no token earns one once, by itself: a proof of
 * work (lib/token.ts), then `reconnect` so the next connection carries the cookie. Not while the
 * tab searches or talks elsewhere (`busy`): the new connection would end that. Leaving those pages
 * stops the work; a later visit starts again and finds a finished pass.
 */
export function useTokenPass({
  tokenPage,
  busy,
  connected,
  identity,
  reconnect,
}: {
  tokenPage: boolean;
  busy: boolean;
  connected: boolean;
  identity: IdentityView | null;
  /** Opens a new connection; false (nothing done) while searching or in a conversation. */
  reconnect: () => boolean;
}): TokenPass {
  const [pass, setPass] = useState<PassState>({ phase: "idle" });
  /** A pass was just issued and the connection reopened: the next `identity` must be "ok". */
  const justIssuedRef = useRef(false);
  const abortRef = useRef<AbortController | null>(null);
  const identityRef = useRef(identity);
  identityRef.current = identity;

  const runPass = useCallback(() => {
    abortRef.current?.abort();
    const controller = new AbortController();
    abortRef.current = controller;
    setPass({ phase: "working" });
    // The proof-of-work code is fetched only here, on the pages that need a pass.
    import("./token")
      .then(({ ensureToken }) => ensureToken(controller.signal))
      .then(
        (result) => {
          if (controller.signal.aborted) return;
          abortRef.current = null;
          if (result === "ok") {
            // The cookie is in the browser; a new connection carries it to the server, which then
            // says "ok". Until then this stays "working".
            justIssuedRef.current = true;
            if (!reconnect()) {
              // Busy (searching or talking elsewhere): the pass is kept for the next connection.
              justIssuedRef.current = false;
              setPass({ phase: "idle" });
            }
          } else {
            setPass({ phase: "limited", retryAfterMs: result.retryAfterMs });
          }
        },
        () => {
          if (controller.signal.aborted) return;
          abortRef.current = null;
          setPass({ phase: "failed", reason: "error" });
        },
      );
  }, [reconnect]);

  useEffect(() => {
    if (!tokenPage || busy || !connected || identity?.status !== "none") return;
    if (pass.phase !== "idle") return;
    runPass();
  }, [tokenPage, busy, connected, identity, pass, runPass]);

  useEffect(() => {
    if (tokenPage) return;
    abortRef.current?.abort();
    abortRef.current = null;
    justIssuedRef.current = false;
    setPass((prev) => (prev.phase === "idle" ? prev : { phase: "idle" }));
  }, [tokenPage]);

  const retryPass = useCallback(() => {
    const current = identityRef.current;
    if (current === null || current.status === "none") runPass();
  }, [runPass]);

  const noteIdentity = useCallback((next: IdentityView) => {
    if (next.status === "none") {
      // A pass was issued, yet the new connection came without it: don't go round in circles.
      if (justIssuedRef.current) setPass({ phase: "failed", reason: "not_kept" });
    } else {
      setPass((prev) => (prev.phase === "idle" ? prev : { phase: "idle" }));
    }
    justIssuedRef.current = false;
  }, []);

  const abort = useCallback(() => {
    abortRef.current?.abort();
    abortRef.current = null;
  }, []);

  return { pass, retryPass, noteIdentity, abort };
}
