/**
 * The proof of work a browser pays for a token (SPEC §6), with altcha-lib 2.x.
 *
 * Challenges use altcha's deterministic mode with one SHA-256 per attempt: the server picks a
 * secret counter uniformly in [0, maxNumber], publishes the first 16 bytes of
 * SHA-256(salt ‖ nonce ‖ counter as uint32 big-endian) as `keyPrefix`, and the browser counts up
 * from 0 until it finds the counter again. Expected cost: maxNumber / 2 hashes; the server spends
 * one hash to create and one to verify. The challenge is HMAC-signed, so the browser cannot pick
 * easier parameters.
 *
 * Cost measured at the default maxNumber 50,000, worst case (a full scan of 50,000 hashes; the
 * average is half), on one core of the development server (AMD EPYC, 2 cores):
 * - Node 20, altcha-lib's own solver with node:crypto: ~210 ms (4.2 µs a hash).
 * - Headless Chromium, the browser's solver (apps/web/lib/pow-worker.ts, plain-JavaScript
 *   SHA-256): ~65 ms in a Web Worker including its start (0.5–1.3 µs a hash), ~45 ms on the main
 *   thread in slices.
 * - altcha-lib's Web Crypto solver in the same Chromium: ~740 ms on the main thread, ~970 ms in
 *   a worker (15–19 µs a hash: one crypto.subtle.digest round trip per attempt). Not used.
 * A phone is some 3–10 times slower than this core: 50,000 costs it about 0.05–0.3 s on average
 * and at most 0.1–0.7 s, so the default holds "well under a second". The whole browser flow
 * (status, challenge, solve, POST) took 0.45–0.75 s in headless Chromium, dominated by the
 * requests and the worker's start, not the hashing.
 *
 * Expiry: altcha checks its own `expiresAt` against the wall clock (Date.now()); Duet keeps its
 * expiry in the signed `data.expires` (milliseconds) instead and checks it against the injected
 * clock, so tests and the server agree on one clock.
 *
 * Replay: a verified challenge's signature is remembered until the challenge expires, so one
 * solution buys at most one token.
 */
import { createHmac, randomInt } from "node:crypto";
import { type Challenge, createChallenge, verifySolution } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { z } from "zod";

export const POW_ALGORITHM = "SHA-256";
/** How long a challenge stays solvable. Solving takes well under a second; this covers slow networks. */
export const DEFAULT_POW_TTL_MS = 5 * 60_000;
/** The spent-challenge memory's bound (about 3 MB when full). */
export const DEFAULT_MAX_SPENT = 20_000;
/** Largest accepted payload (a real one is about 600 characters). */
const MAX_PAYLOAD_LENGTH = 4096;

export type { Challenge as PowChallenge } from "altcha-lib";

/** altcha's HMAC key, derived from the token secret under its own label so one secret serves both. */
export function powHmacKey(secret: Buffer): string {
  return createHmac("sha256", secret).update("duet/altcha/v1", "utf8").digest("hex");
}

export interface CreatePowChallengeOptions {
  readonly hmacKey: string;
  /** Upper bound of the secret counter (config POW_MAX_NUMBER). */
  readonly maxNumber: number;
  readonly ttlMs: number;
  readonly now: number;
}

/** The challenge JSON the browser solves (altcha's `{ parameters, signature }`). */
export async function createPowChallenge(options: CreatePowChallengeOptions): Promise<Challenge> {
  const maxNumber = Math.max(1, Math.min(0xffff_ffff - 1, Math.floor(options.maxNumber)));
  return createChallenge({
    algorithm: POW_ALGORITHM,
    cost: 1,
    counter: randomInt(0, maxNumber + 1),
    deriveKey,
    hmacSignatureSecret: options.hmacKey,
    data: { expires: Math.floor(options.now + options.ttlMs) },
  });
}

/**
 * The SpentChallenges seam: where verified challenges are remembered so that none is used twice.
 * In a cluster every node must see every other node's spends (issue 18: a Redis SET NX with the
 * challenge's expiry); test/seams/spent-challenges.contract.ts is what each store must do.
 */
export interface SpentChallengeStore {
  /** Records `key` until `expiresAt`; false when it is already recorded. Atomic. */
  add(key: string, expiresAt: number, now: number): boolean | Promise<boolean>;
}

/**
 * This process's spent challenges (the seam's local implementation).
 * Signatures of verified challenges, each kept until its challenge expires. Bounded: when full of
 * unexpired entries, the oldest is forgotten (its challenge expires soonest, and replaying it
 * still passes the issuance rate limit), so memory stays fixed under any load.
 */
export class SpentChallenges implements SpentChallengeStore {
  private readonly entries = new Map<string, number>();

  constructor(private readonly maxSize: number = DEFAULT_MAX_SPENT) {}

  /** Records `key` until `expiresAt`; false when it is already recorded. Synchronous, so atomic. */
  add(key: string, expiresAt: number, now: number): boolean {
    this.purge(now);
    const known = this.entries.get(key);
    if (known !== undefined && known > now) return false;
    while (this.entries.size >= this.maxSize) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, expiresAt);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  private purge(now: number): void {
    // Insertion order is close to expiry order (one TTL for all); stop at the first live entry.
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt > now) break;
      this.entries.delete(key);
    }
  }
}

const processSpent = new SpentChallenges();

const Json = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const PayloadSchema = z.object({
  challenge: z.object({
    parameters: z.object({
      algorithm: z.string(),
      nonce: z.string(),
      salt: z.string(),
      cost: z.number(),
      keyLength: z.number(),
      keyPrefix: z.string(),
      keySignature: z.string().optional(),
      memoryCost: z.number().optional(),
      parallelism: z.number().optional(),
      expiresAt: z.number().optional(),
      data: z.record(z.string(), Json).optional(),
    }),
    signature: z.string(),
  }),
  solution: z.object({
    counter: z.number(),
    derivedKey: z.string(),
    time: z.number().optional(),
  }),
});

export type PowVerdict = "ok" | "malformed" | "invalid" | "expired" | "replayed";

/**
 * Checks an altcha payload (base64 of `{ challenge, solution }` JSON, as altcha's solver and
 * widget produce). `malformed`: not such a payload; `invalid`: bad signature or solution;
 * `expired`; `replayed`: this challenge already bought a token. Never throws.
 */
export async function checkPow(
  payload: unknown,
  hmacKey: string,
  now: number,
  spent: SpentChallengeStore = processSpent,
): Promise<PowVerdict> {
  if (typeof payload !== "string" || payload.length === 0 || payload.length > MAX_PAYLOAD_LENGTH) {
    return "malformed";
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, "base64").toString("utf8"));
  } catch {
    return "malformed";
  }
  const parsed = PayloadSchema.safeParse(decoded);
  if (!parsed.success) return "malformed";
  const { challenge, solution } = parsed.data;
  try {
    const result = await verifySolution({
      challenge,
      solution,
      deriveKey,
      hmacSignatureSecret: hmacKey,
    });
    if (!result.verified) return result.expired ? "expired" : "invalid";
  } catch {
    return "invalid";
  }
  // Signed by this server, so `expires` is the one createPowChallenge wrote.
  const expires = challenge.parameters.data?.expires;
  if (typeof expires !== "number" || now >= expires) return "expired";
  return (await spent.add(challenge.signature, expires, now)) ? "ok" : "replayed";
}

/** True when the payload solves an unexpired challenge of this server that was not used before. */
export async function verifyPow(
  payload: unknown,
  hmacKey: string,
  now: number,
  spent: SpentChallengeStore = processSpent,
): Promise<boolean> {
  return (await checkPow(payload, hmacKey, now, spent)) === "ok";
}
