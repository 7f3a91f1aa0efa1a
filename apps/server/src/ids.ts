import { randomFillSync } from "node:crypto";
import type { IdSource } from "@duet/engine";

/**
 * Random bytes drawn from the operating system 4 KiB at a time and handed out in slices: one
 * `randomBytes` call per id cost ~3 % of the server's time in the relay benchmark (a synchronous
 * crypto job per message). Every id is still fresh CSPRNG output, never reused; the pool only
 * batches the system calls. (Not a counter: ids would then reveal how busy the server is.)
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

function take(bytes: number): Buffer {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const slice = pool.subarray(offset, offset + bytes);
  offset += bytes;
  return slice;
}

/** 128 random bits, base64url (22 characters): session, connection and fallback browser ids. */
export function randomId(): string {
  return take(16).toString("base64url");
}

/** Message ids only need to be unique within a session; 64 bits is plenty. */
export const cryptoIds: IdSource = {
  sessionId: randomId,
  messageId: () => take(8).toString("base64url"),
};
