import { STIMCHAT_COPY } from "./copy";

/** Whether this browser already agreed to stimchat's rules (any non-empty stored value). */
export function hasStimchatConsent(): boolean {
  try {
    return Boolean(window.localStorage.getItem(STIMCHAT_COPY.consentKey));
  } catch {
    return false;
  }
}

/** Remembers "Agree & continue" in this browser; with storage blocked it lasts for this tab only. */
export function rememberStimchatConsent(): void {
  try {
    window.localStorage.setItem(STIMCHAT_COPY.consentKey, "1");
  } catch {
    // Storage unavailable: the person will be asked again next time.
  }
}
