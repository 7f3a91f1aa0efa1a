"use client";

import type { AdminPageState } from "@duet/protocol";
import { type RefObject, useCallback, useEffect, useRef, useState } from "react";
import { adminApi, failureText } from "./api";
import { BansPanel, type BansPanelHandle } from "./BansPanel";
import { ADMIN_COPY } from "./format";
import { HealthPanel } from "./HealthPanel";
import { ReportsPanel, type ReportsPanelHandle } from "./ReportsPanel";
import { SignInForm } from "./SignInForm";

type Phase =
  | { readonly kind: "checking" }
  | { readonly kind: "unreachable"; readonly message: string }
  | { readonly kind: "disabled" }
  | { readonly kind: "signedOut"; readonly notice: string | null }
  | { readonly kind: "signedIn" };

/** The first phase: what the server said when it rendered the page, else "checking". */
function firstPhase(initial: AdminPageState | null): Phase {
  if (initial === "signedIn") return { kind: "signedIn" };
  if (initial === "signedOut") return { kind: "signedOut", notice: null };
  if (initial === "disabled") return { kind: "disabled" };
  return { kind: "checking" };
}

/**
 * The moderators' page (SPEC §6 "Admin"): sign-in, then live health, the report queue and the
 * bans. Everything comes from the server's /api/admin/ API; this page decides nothing.
 * `initial` is the session as the server rendered the page (lib/page-facts.ts): with it the page
 * shows the form or the console in its first paint; without it (no Duet server in front) it asks
 * /api/admin/session first. Either way every API call checks the session again.
 */
export function AdminApp({ initial = null }: { initial?: AdminPageState | null }) {
  const [phase, setPhase] = useState<Phase>(() => firstPhase(initial));
  const headingRef = useRef<HTMLHeadingElement>(null);

  const check = useCallback(async () => {
    setPhase({ kind: "checking" });
    const result = await adminApi.session();
    if (result.ok) {
      setPhase(result.data.signedIn ? { kind: "signedIn" } : { kind: "signedOut", notice: null });
    } else if (result.status === 503) setPhase({ kind: "disabled" });
    else setPhase({ kind: "unreachable", message: failureText(result) });
  }, []);

  // Asked once when the server did not say (a "Try again" asks again).
  const knownAtFirst = useRef(initial !== null);
  useEffect(() => {
    if (!knownAtFirst.current) void check();
  }, [check]);

  const signedOut = useCallback((notice: string | null) => {
    setPhase({ kind: "signedOut", notice });
  }, []);

  // Back at the sign-in form after signing out or an ended session: start from the heading.
  const backAtSignIn = phase.kind === "signedOut" && phase.notice !== null;
  useEffect(() => {
    if (backAtSignIn) headingRef.current?.focus();
  }, [backAtSignIn]);

  return (
    <div className="page admin">
      {phase.kind === "signedIn" ? (
        <Console headingRef={headingRef} onSignedOut={signedOut} />
      ) : (
        <>
          <h1 ref={headingRef} tabIndex={-1}>
            {ADMIN_COPY.title}
          </h1>
          {phase.kind === "checking" ? (
            <p className="muted" role="status">
              Checking…
            </p>
          ) : phase.kind === "disabled" ? (
            <p className="callout admin-disabled">{ADMIN_COPY.disabled}</p>
          ) : phase.kind === "unreachable" ? (
            <>
              <p role="alert" className="error">
                {phase.message}
              </p>
              <p className="admin-retry">
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => void check()}
                >
                  Try again
                </button>
              </p>
            </>
          ) : (
            <SignInForm
              notice={phase.notice}
              onSignedIn={() => {
                setPhase({ kind: "signedIn" });
              }}
              onDisabled={() => setPhase({ kind: "disabled" })}
            />
          )}
        </>
      )}
    </div>
  );
}

function Console({
  headingRef,
  onSignedOut,
}: {
  headingRef: RefObject<HTMLHeadingElement | null>;
  onSignedOut: (notice: string | null) => void;
}) {
  const [result, setResult] = useState<{ text: string; tone: "done" | "problem" } | null>(null);
  const [signingOut, setSigningOut] = useState(false);
  const reportsRef = useRef<ReportsPanelHandle>(null);
  const bansRef = useRef<BansPanelHandle>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, [headingRef]);

  const sessionEnded = useCallback(() => onSignedOut(ADMIN_COPY.sessionEnded), [onSignedOut]);
  const announce = useCallback((text: string, tone: "done" | "problem" = "done") => {
    setResult({ text, tone });
  }, []);
  const bansChanged = useCallback(() => bansRef.current?.reload(), []);
  const reportsChanged = useCallback(() => reportsRef.current?.reload(), []);

  async function signOut() {
    if (signingOut) return;
    setSigningOut(true);
    const r = await adminApi.logout();
    setSigningOut(false);
    if (r.ok || r.status === 401) onSignedOut(ADMIN_COPY.signedOut);
    else announce(failureText(r), "problem");
  }

  return (
    <>
      <div className="admin-bar">
        <h1 ref={headingRef} tabIndex={-1}>
          {ADMIN_COPY.title}
        </h1>
        <button
          type="button"
          className="button button-secondary"
          aria-disabled={signingOut || undefined}
          onClick={() => void signOut()}
        >
          Sign out
        </button>
      </div>
      <p
        role="status"
        className={`admin-result ${result?.tone === "problem" ? "admin-result-problem" : ""}`}
      >
        {result?.text}
      </p>
      <HealthPanel onSignedOut={sessionEnded} />
      <ReportsPanel
        ref={reportsRef}
        onSignedOut={sessionEnded}
        announce={announce}
        onBansChanged={bansChanged}
      />
      <BansPanel
        ref={bansRef}
        onSignedOut={sessionEnded}
        announce={announce}
        onUnbanned={reportsChanged}
      />
    </>
  );
}
