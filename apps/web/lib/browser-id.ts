/**
 * The browser id of SPEC §4: a random 128-bit id, kept in localStorage so that every tab of this
 * browser sends the same one and the server never pairs two of them together. It identifies
 * nothing about the person and is never shown.
 */
const STORAGE_KEY = "duet.browserId";
const PATTERN = /^[A-Za-z0-9_-]{22}$/;

let memoryId: string | null = null;

function randomId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function getBrowserId(): string {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if (stored && PATTERN.test(stored)) return stored;
    const id = randomId();
    window.localStorage.setItem(STORAGE_KEY, id);
    return id;
  } catch {
    // Storage can be unavailable (private modes, blocked storage): keep one id for this tab.
    memoryId ??= randomId();
    return memoryId;
  }
}
