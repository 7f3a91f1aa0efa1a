"use client";

import type { ReportReason, SpaceId } from "@duet/protocol";
import { MAX_REPORT_NOTE, REPORT_REASONS } from "@duet/protocol/constants";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { CARE_COPY, REPORT_COPY, slowDownText } from "../lib/copy";
import { useDuetActions, useDuetState } from "./DuetProvider";
import { ErrorLine } from "./ErrorLine";
import { Modal } from "./Modal";

/** The count is read out this long after typing pauses (not on every keystroke). */
const COUNT_ANNOUNCE_MS = 1_000;

/** The report dialog's choices: the report reasons, and (spaces that offer care) "worried". */
type Choice = ReportReason | "worried";

/**
 * "Report this conversation": a reason, in stimchat and dormparty an optional note, and what the
 * report sends. "Send report" emits `report`; the server ends the conversation for both, and the
 * room becomes the reporter's ended screen. In spaces that offer care (menti) the first choice is
 * "I'm worried about their safety": it does not report or end anything, it shows the other person
 * where to get help (`care`) and the conversation goes on; `onClose("cared")` then. A refusal is
 * shown here.
 */
export function ReportDialog({
  space,
  onClose,
}: {
  space: SpaceId;
  onClose: (done?: "cared") => void;
}) {
  const { spaces } = useDuetState();
  const { report, care } = useDuetActions();
  // menti keeps no text at all: no note there (SPEC §6, issue 4).
  const offersNote = space !== "menti";
  const offersCare = spaces?.find((s) => s.id === space)?.careOffer === true;
  const choices: readonly Choice[] = offersCare ? ["worried", ...REPORT_REASONS] : REPORT_REASONS;
  const titleRef = useRef<HTMLHeadingElement>(null);
  const firstReasonRef = useRef<HTMLInputElement>(null);
  const [reason, setReason] = useState<Choice | null>(null);
  const worried = reason === "worried";
  const [note, setNote] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const left = MAX_REPORT_NOTE - note.length;
  const [announced, setAnnounced] = useState("");
  useEffect(() => {
    if (note === "") {
      setAnnounced("");
      return;
    }
    const timer = setTimeout(() => setAnnounced(REPORT_COPY.noteLeft(left)), COUNT_ANNOUNCE_MS);
    return () => clearTimeout(timer);
  }, [note, left]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (pending) return;
    if (!reason) {
      setError(REPORT_COPY.chooseReason);
      firstReasonRef.current?.focus();
      return;
    }
    setPending(true);
    setError(null);
    const text = offersNote ? note.trim() : "";
    const ack =
      reason === "worried" ? await care() : await report(reason, text === "" ? undefined : text);
    if (ack.ok) {
      // A report: the server has ended the conversation, the room is becoming the ended screen.
      // Care: the conversation goes on, and the room says the help reached them.
      onClose(reason === "worried" ? "cared" : undefined);
      return;
    }
    setPending(false);
    setError(
      ack.code === "rate_limited" ? slowDownText("report", ack.retryAfterMs ?? 1_000) : ack.message,
    );
  }

  return (
    <Modal
      labelledBy="report-title"
      describedBy="report-what"
      initialFocus={titleRef}
      onClose={() => onClose()}
      className="report-dialog"
    >
      <form className="modal-body" onSubmit={(event) => void submit(event)} noValidate>
        <h2 id="report-title" ref={titleRef} tabIndex={-1}>
          {REPORT_COPY.title}
        </h2>
        <p id="report-what">
          {worried
            ? CARE_COPY.worriedWhat
            : `${REPORT_COPY.whatIsSent[space]} ${REPORT_COPY.endsNote}`}
        </p>
        <p id="report-reasons-label" className="report-legend">
          {REPORT_COPY.reasonsLegend}
        </p>
        <div className="report-reasons" role="radiogroup" aria-labelledby="report-reasons-label">
          {choices.map((value, index) => (
            <label key={value} className="report-reason">
              <input
                ref={index === 0 ? firstReasonRef : undefined}
                type="radio"
                name="report-reason"
                value={value}
                checked={reason === value}
                onChange={() => {
                  setReason(value);
                  setError(null);
                }}
              />
              <span>{value === "worried" ? CARE_COPY.worried : REPORT_COPY.reasons[value]}</span>
            </label>
          ))}
        </div>
        {offersNote ? (
          <div className="report-note">
            <label htmlFor="report-note" className="report-note-label">
              {REPORT_COPY.noteLabel}
            </label>
            <textarea
              id="report-note"
              name="note"
              className="report-note-input"
              rows={3}
              maxLength={MAX_REPORT_NOTE}
              aria-describedby="report-note-count"
              value={note}
              onChange={(event) => setNote(event.target.value)}
            />
            <p
              id="report-note-count"
              className={left <= 0 ? "count count-full" : "count"}
              aria-hidden="true"
            >
              {REPORT_COPY.noteLeft(left)}
            </p>
            <p className="visually-hidden" aria-live="polite">
              {announced}
            </p>
          </div>
        ) : null}
        <ErrorLine error={error} />
        <div className="modal-actions">
          <button type="button" className="button button-secondary" onClick={() => onClose()}>
            {REPORT_COPY.cancel}
          </button>
          <button type="submit" className="button button-primary" disabled={pending}>
            {worried ? CARE_COPY.worriedSend : REPORT_COPY.send}
          </button>
        </div>
      </form>
    </Modal>
  );
}
