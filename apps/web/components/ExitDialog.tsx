"use client";

import { useRef, useState } from "react";
import { useDuetActions } from "./DuetProvider";
import { ErrorLine } from "./ErrorLine";
import { Modal } from "./Modal";

/** A gentle confirm before Exit: in menti, leaving ends the conversation for both. */
export function ExitDialog({ onClose }: { onClose: () => void }) {
  const { exit } = useDuetActions();
  const stayRef = useRef<HTMLButtonElement>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function leave() {
    if (pending) return;
    setPending(true);
    const ack = await exit();
    setPending(false);
    if (ack.ok) onClose();
    else setError(ack.message);
  }

  return (
    <Modal labelledBy="exit-title" initialFocus={stayRef} onClose={onClose} className="exit-dialog">
      <div className="modal-body">
        <h2 id="exit-title" className="dialog-question">
          Leave this conversation? It will end for both of you and can't be resumed.
        </h2>
        <ErrorLine error={error} />
        <div className="modal-actions">
          <button ref={stayRef} type="button" className="button button-primary" onClick={onClose}>
            Stay
          </button>
          <button type="button" className="button button-secondary" onClick={() => void leave()}>
            Leave conversation
          </button>
        </div>
      </div>
    </Modal>
  );
}
