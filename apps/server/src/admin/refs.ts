/**
 * What moderators see instead of a token: a short, stable reference derived from the token id
 * (the first 12 hex characters of its SHA-256). The same person always has the same reference,
 * so repeat offenders stand out, but the reference cannot be turned back into the token (token
 * ids carry at least 128 random bits) nor into a cookie (that needs the server's secret).
 */
import { createHash } from "node:crypto";

export const REF_LENGTH = 12;
export const REF_PATTERN = /^[0-9a-f]{12}$/;

export function tokenRef(token: string): string {
  return createHash("sha256")
    .update(`duet-ref:${token}`, "utf8")
    .digest("hex")
    .slice(0, REF_LENGTH);
}
