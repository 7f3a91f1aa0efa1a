"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { estimatedWaitText, presenceHereText, SPACE_COPY } from "../lib/copy";
import { useDuet } from "./DuetProvider";

/**
 * Spaces whose pages use the camera and microphone. The server allows those only in documents
 * loaded at their paths (Permissions-Policy, apps/server/src/headers.ts), and a client-side
 * navigation keeps the landing page's document, where they are denied: so these open with a full
 * page load.
 */
const OWN_DOCUMENT = new Set(["/dormparty"]);

/**
 * The spaces this server has enabled (from `welcome`), as links into each space, with how busy
 * each one is (from `presence`). With exactly one space enabled, `/` opens that space directly.
 */
export function LandingSpaces({ ended = false }: { ended?: boolean }) {
  const router = useRouter();
  const { spaces, state, status, presence } = useDuet();
  const shown = (spaces ?? []).flatMap((space) => {
    const copy = SPACE_COPY[space.id];
    return copy ? [{ id: space.id, ...copy }] : [];
  });
  const waitingIn = state?.state === "WAITING" ? SPACE_COPY[state.space] : undefined;

  const only = spaces?.length === 1 ? shown[0] : undefined;
  const onlyHref = only?.href;
  useEffect(() => {
    if (!onlyHref) return;
    // One space: no choice to make. The banner of a refused room moves along with the person.
    const target = ended ? `${onlyHref}?ended=1` : onlyHref;
    if (OWN_DOCUMENT.has(onlyHref)) window.location.replace(target);
    else router.replace(target);
  }, [onlyHref, ended, router]);

  return (
    <section className="spaces" aria-labelledby="spaces-title">
      <h2 id="spaces-title">Start a conversation</h2>
      {waitingIn ? (
        <p className="callout">
          You are still looking for someone.{" "}
          <Link href={waitingIn.href}>Go back to the waiting screen</Link>
        </p>
      ) : null}
      {spaces === null ? (
        <p className="muted">
          {status === "offline" ? "Duet can't be reached right now." : "Connecting to Duet…"}
        </p>
      ) : shown.length === 0 ? (
        <p className="muted">No space is open on this server right now.</p>
      ) : (
        <ul className="space-list">
          {shown.map((space) => {
            const busy = presence?.spaces.find((p) => p.id === space.id);
            return (
              <li key={space.id}>
                {OWN_DOCUMENT.has(space.href) ? (
                  <a className="space-card" href={space.href}>
                    <SpaceCard space={space} busy={busy} />
                  </a>
                ) : (
                  <Link className="space-card" href={space.href}>
                    <SpaceCard space={space} busy={busy} />
                  </Link>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

type Busy = NonNullable<ReturnType<typeof useDuet>["presence"]>["spaces"][number];

function SpaceCard({
  space,
  busy,
}: {
  space: { title: string; description: string };
  busy: Busy | undefined;
}) {
  return (
    <>
      <span className="space-title">{space.title}</span>
      <span className="space-description">{space.description}</span>
      {busy ? (
        <span className="space-presence">
          <span>{presenceHereText(busy.here)}</span>
          {busy.estimatedWaitMs !== undefined ? (
            <>
              <span className="visually-hidden">, </span>
              <span className="space-presence-sep" aria-hidden="true">
                ·
              </span>
              <span>{estimatedWaitText(busy.estimatedWaitMs)}</span>
            </>
          ) : null}
        </span>
      ) : null}
      <span className="space-arrow" aria-hidden="true">
        →
      </span>
    </>
  );
}
