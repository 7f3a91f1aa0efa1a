"use client";

import type { Presence } from "@duet/protocol";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { estimatedWaitText, presenceHereText, SPACE_COPY } from "../lib/copy";
import { useDuetState, usePresence } from "./DuetProvider";

/**
 * Spaces whose pages use the camera and microphone. The server allows those only in documents
 * loaded at their paths (Permissions-Policy, apps/server/src/headers.ts), and a client-side
 * navigation keeps the landing page's document, where they are denied: so these open with a full
 * page load.
 */
const OWN_DOCUMENT = new Set(["/dormparty"]);

/**
 * Whether this document may use the camera (true when it was loaded at a video space's path and
 * the landing page was reached from there by a client-side navigation). Chromium exposes the
 * document's policy (`permissionsPolicy`, formerly `featurePolicy`); elsewhere this says false and
 * the video space opens with a full page load, which is always safe. A search left running in a
 * video space then survives a visit to the landing page: the same document, the same socket.
 */
function documentAllowsCamera(): boolean {
  type Policy = { allowsFeature?: (feature: string) => boolean };
  const doc = document as Document & { permissionsPolicy?: Policy; featurePolicy?: Policy };
  const policy = doc.permissionsPolicy ?? doc.featurePolicy;
  try {
    return policy?.allowsFeature?.("camera") === true;
  } catch {
    return false;
  }
}

/**
 * The spaces this server has enabled (from `welcome`), as links into each space, with how busy
 * each one is (from `presence`). With exactly one space enabled, `/` opens that space directly.
 */
export function LandingSpaces({ ended = false }: { ended?: boolean }) {
  const router = useRouter();
  const { spaces, state, status } = useDuetState();
  const presence = usePresence();
  // Known only in the browser: the server's render and the first client render use full loads.
  const [cameraHere, setCameraHere] = useState(false);
  useEffect(() => setCameraHere(documentAllowsCamera()), []);
  const fullLoad = (href: string): boolean => OWN_DOCUMENT.has(href) && !cameraHere;
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
    if (OWN_DOCUMENT.has(onlyHref) && !documentAllowsCamera()) window.location.replace(target);
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
                {fullLoad(space.href) ? (
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

type Busy = Presence["spaces"][number];

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
