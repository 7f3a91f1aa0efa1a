"use client";

import Link from "next/link";
import { SPACE_COPY } from "../lib/copy";
import { useDuet } from "./DuetProvider";

/** The spaces this server has enabled (from `welcome`), as links into each space. */
export function LandingSpaces() {
  const { spaces, state, status } = useDuet();
  const shown = (spaces ?? []).flatMap((space) => {
    const copy = SPACE_COPY[space.id];
    return copy ? [{ id: space.id, ...copy }] : [];
  });
  const waitingIn = state?.state === "WAITING" ? SPACE_COPY[state.space] : undefined;

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
          {shown.map((space) => (
            <li key={space.id}>
              <Link className="space-card" href={space.href}>
                <span className="space-title">{space.title}</span>
                <span className="space-description">{space.description}</span>
                <span className="space-arrow" aria-hidden="true">
                  →
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
