"use client";

import { useRef } from "react";
import { HELP_COPY } from "../lib/copy";
import { useDuetState } from "./DuetProvider";
import { Modal } from "./Modal";

/**
 * "I need help": crisis resources. The list is bundled (or came with `welcome`), so the panel
 * opens with no network at all.
 */
export function HelpDialog({ note, onClose }: { note: string | null; onClose: () => void }) {
  const { crisisResources } = useDuetState();
  // Focus lands on the title, so the panel opens at its top and is read from its start.
  const titleRef = useRef<HTMLHeadingElement>(null);

  return (
    <Modal
      labelledBy="help-title"
      describedBy={note ? "help-note help-intro" : "help-intro"}
      initialFocus={titleRef}
      onClose={onClose}
      className="help-dialog"
    >
      <div className="modal-body">
        <h2 id="help-title" ref={titleRef} tabIndex={-1}>
          If you need help now
        </h2>
        {note ? (
          <p id="help-note" className="help-kind-line">
            {note}
          </p>
        ) : null}
        <p id="help-intro">
          If you are in danger or thinking about harming yourself, please contact one of these
          services now. They are free and confidential.
        </p>
        <ul className="resources">
          {crisisResources.map((resource) => (
            <li key={`${resource.region}|${resource.name}`} className="resource">
              <p className="resource-region">{resource.region}</p>
              <p className="resource-name">{resource.name}</p>
              <p className="resource-contact">
                {resource.href ? (
                  <a
                    href={resource.href}
                    {...(resource.href.startsWith("http")
                      ? { target: "_blank", rel: "noopener noreferrer" }
                      : {})}
                  >
                    {resource.contact}
                  </a>
                ) : (
                  resource.contact
                )}
              </p>
            </li>
          ))}
        </ul>
        <p className="help-note">Duet is not an emergency service.</p>
        <p className="help-note">{HELP_COPY.shortcutNote}</p>
        <div className="modal-actions">
          <button type="button" className="button button-primary" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Modal>
  );
}
