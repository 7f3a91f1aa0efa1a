import { randomBytes } from "node:crypto";
import type { IdSource } from "@duet/engine";

/** 128 random bits, base64url (22 characters): session, connection and fallback browser ids. */
export function randomId(): string {
  return randomBytes(16).toString("base64url");
}

/** Message ids only need to be unique within a session; 64 bits is plenty. */
export const cryptoIds: IdSource = {
  sessionId: randomId,
  messageId: () => randomBytes(8).toString("base64url"),
};
