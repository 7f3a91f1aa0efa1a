"use client";

import Link from "next/link";
import { useRef } from "react";
import { HELP_COPY, STIMCHAT_COPY } from "../lib/copy";
import { useHelp } from "./HelpProvider";
import { Modal } from "./Modal";

/**
 * stimchat's first-visit rules: what the space expects and what it keeps (SPEC §5: a space that
 * keeps reported transcripts says so before the first chat). "Agree & continue" is remembered in
 * this browser; "Not now" (or Esc) goes back home.
 */
export function ConsentDialog({
  onAgree,
  onDecline,
}: {
  onAgree: () => void;
  onDecline: () => void;
}) {
  const titleRef = useRef<HTMLHeadingElement>(null);
  const { openHelp } = useHelp();
  const doneRef = useRef(false);

  function finish(action: () => void) {
    if (doneRef.current) return;
    doneRef.current = true;
    action();
  }

  return (
    <Modal
      labelledBy="rules-title"
      describedBy="rules-intro"
      initialFocus={titleRef}
      onClose={() => finish(onDecline)}
      className="rules-dialog"
    >
      <div className="modal-body">
        <h2 id="rules-title" ref={titleRef} tabIndex={-1}>
          {STIMCHAT_COPY.rulesTitle}
        </h2>
        <p id="rules-intro">{STIMCHAT_COPY.rulesIntro}</p>
        <ul className="rules">
          {STIMCHAT_COPY.rules.map((rule) => (
            <li key={rule}>{rule}</li>
          ))}
        </ul>
        {/* This dialog makes the rest of the page inert, the banner's button too: its own way. */}
        <p>
          <button
            type="button"
            className="button button-quiet button-inline"
            onClick={() => openHelp()}
          >
            {HELP_COPY.open}
          </button>
        </p>
        <div className="modal-actions">
          <Link
            href="/"
            className="button button-secondary"
            onClick={(event) => {
              event.preventDefault();
              finish(onDecline);
            }}
          >
            {STIMCHAT_COPY.notNow}
          </Link>
          <button type="button" className="button button-primary" onClick={() => finish(onAgree)}>
            {STIMCHAT_COPY.agree}
          </button>
        </div>
      </div>
    </Modal>
  );
}
