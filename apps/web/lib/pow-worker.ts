/**
 * The browser's proof-of-work solver for token issuance (lib/token.ts), usable as a Web Worker
 * entry and as a plain module (the main-thread fallback, and the server's unit tests).
 *
 * It solves the altcha-lib 2.x challenges the server creates (apps/server/src/identity/pow.ts:
 * SHA-256, cost 1, counter as uint32 big-endian) and produces the payload altcha-lib's
 * verifySolution accepts: base64 of `{ challenge, solution: { counter, derivedKey, time } }`.
 *
 * Why not altcha-lib's own solver: it awaits one crypto.subtle.digest per attempt, which costs
 * about 15 µs in Chromium against about 1 µs here, and crypto.subtle does not exist at all on
 * plain-HTTP origins other than localhost (a LAN deployment). This is plain synchronous
 * SHA-256 (FIPS 180-4) that hashes only the blocks the counter changes.
 */
import type { Challenge } from "altcha-lib";

export interface PowSolution {
  readonly counter: number;
  /** Lower-case hex of the derived key, as altcha-lib compares it. */
  readonly derivedKey: string;
}

/** What the worker receives and answers. */
export type PowWorkerRequest = { readonly challenge: Challenge };
export type PowWorkerResponse =
  | { readonly ok: true; readonly solution: PowSolution }
  | { readonly ok: false; readonly error: string };

/** Attempts before giving up: the server's POW_MAX_NUMBER is at most 10,000,000. */
export const MAX_POW_ATTEMPTS = 10_000_000;

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INITIAL_STATE = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

const W = new Int32Array(64);

/** One SHA-256 compression of the 16 words at `words[offset…]` into `state` (in place). */
function compress(state: Int32Array, words: Int32Array, offset: number): void {
  for (let i = 0; i < 16; i++) W[i] = words[offset + i] as number;
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15] as number;
    const y = W[i - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = ((W[i - 16] as number) + s0 + (W[i - 7] as number) + s1) | 0;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (W[i] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
  state[4] = ((state[4] as number) + e) | 0;
  state[5] = ((state[5] as number) + f) | 0;
  state[6] = ((state[6] as number) + g) | 0;
  state[7] = ((state[7] as number) + h) | 0;
}

function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error("not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** SHA-256 of any bytes (tests; the solver uses PowSearch's incremental form). */
export function sha256(message: Uint8Array): Uint8Array {
  const words = padToWords(message);
  const state = Int32Array.from(INITIAL_STATE);
  for (let offset = 0; offset < words.length; offset += 16) compress(state, words, offset);
  return stateBytes(state, 32);
}

function padToWords(message: Uint8Array): Int32Array {
  const blocks = Math.ceil((message.length + 9) / 64);
  const bytes = new Uint8Array(blocks * 64);
  bytes.set(message);
  bytes[message.length] = 0x80;
  const view = new DataView(bytes.buffer);
  const bits = message.length * 8;
  view.setUint32(bytes.length - 8, Math.floor(bits / 0x1_0000_0000));
  view.setUint32(bytes.length - 4, bits >>> 0);
  const words = new Int32Array(blocks * 16);
  for (let i = 0; i < words.length; i++) words[i] = view.getInt32(i * 4);
  return words;
}

function stateBytes(state: Int32Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++)
    out[i] = ((state[i >> 2] as number) >>> (24 - 8 * (i & 3))) & 0xff;
  return out;
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * The search for one challenge's counter: SHA-256(salt ‖ nonce ‖ counter) until the key starts
 * with keyPrefix. Blocks before the counter are hashed once (the midstate).
 */
export class PowSearch {
  private readonly words: Int32Array;
  private readonly midstate: Int32Array;
  private readonly state = new Int32Array(8);
  private readonly firstBlock: number;
  private readonly counterByte: number;
  private readonly prefix: Uint8Array;
  private readonly keyLength: number;

  constructor(challenge: Challenge) {
    const p = challenge.parameters;
    const keyLength = p.keyLength ?? 32;
    if (p.algorithm !== "SHA-256" || p.cost !== 1) throw new Error("unsupported challenge");
    if (!Number.isInteger(keyLength) || keyLength < 1 || keyLength > 32) {
      throw new Error("unsupported key length");
    }
    this.prefix = hexToBytes(p.keyPrefix);
    if (this.prefix.length === 0 || this.prefix.length > keyLength) throw new Error("bad prefix");
    this.keyLength = keyLength;
    const salt = hexToBytes(p.salt);
    const nonce = hexToBytes(p.nonce);
    const message = new Uint8Array(salt.length + nonce.length + 4);
    message.set(salt);
    message.set(nonce, salt.length);
    this.words = padToWords(message);
    this.counterByte = salt.length + nonce.length;
    this.firstBlock = this.counterByte >> 6;
    this.midstate = Int32Array.from(INITIAL_STATE);
    for (let block = 0; block < this.firstBlock; block++) {
      compress(this.midstate, this.words, block * 16);
    }
  }

  /** Tries counters from `from` (inclusive) to `to` (exclusive); the solution, or undefined. */
  run(from: number, to: number): PowSolution | undefined {
    const { words, state, midstate, prefix, counterByte } = this;
    const blocks = words.length >> 4;
    const end = Math.min(to, 0x1_0000_0000);
    for (let counter = from; counter < end; counter++) {
      for (let i = 0; i < 4; i++) {
        const at = counterByte + i;
        const shift = 24 - 8 * (at & 3);
        const byte = (counter >>> (24 - 8 * i)) & 0xff;
        const w = at >> 2;
        words[w] = ((words[w] as number) & ~(0xff << shift)) | (byte << shift);
      }
      state.set(midstate);
      for (let block = this.firstBlock; block < blocks; block++) compress(state, words, block * 16);
      let match = true;
      for (let i = 0; i < prefix.length; i++) {
        if ((((state[i >> 2] as number) >>> (24 - 8 * (i & 3))) & 0xff) !== prefix[i]) {
          match = false;
          break;
        }
      }
      if (match) return { counter, derivedKey: toHex(stateBytes(state, this.keyLength)) };
    }
    return undefined;
  }
}

/** The altcha payload the server's POST /api/token takes. */
export function encodePowPayload(challenge: Challenge, solution: PowSolution, timeMs = 0): string {
  const json = JSON.stringify({
    challenge: { parameters: challenge.parameters, signature: challenge.signature },
    solution: {
      counter: solution.counter,
      derivedKey: solution.derivedKey,
      time: Math.round(timeMs),
    },
  });
  return btoa(json);
}

/**
 * Solves in slices of about `sliceMs`, yielding to the event loop between them so the page stays
 * responsive (the main-thread fallback when no worker can start). Rejects when aborted or out of
 * attempts.
 */
export async function solvePowInSlices(
  challenge: Challenge,
  signal?: AbortSignal,
  sliceMs = 12,
): Promise<PowSolution> {
  const search = new PowSearch(challenge);
  const step = 1024;
  let from = 0;
  while (from < MAX_POW_ATTEMPTS) {
    signal?.throwIfAborted();
    const sliceStart = Date.now();
    do {
      const to = Math.min(from + step, MAX_POW_ATTEMPTS);
      const found = search.run(from, to);
      if (found) return found;
      from = to;
    } while (from < MAX_POW_ATTEMPTS && Date.now() - sliceStart < sliceMs);
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
  throw new Error("proof of work not found");
}

/** Solves synchronously (inside the worker, where blocking is fine). */
export function solvePow(challenge: Challenge): PowSolution {
  const found = new PowSearch(challenge).run(0, MAX_POW_ATTEMPTS);
  if (!found) throw new Error("proof of work not found");
  return found;
}

interface WorkerScope {
  WorkerGlobalScope?: unknown;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  postMessage(message: PowWorkerResponse): void;
}

const scope = globalThis as unknown as Partial<WorkerScope>;
if (scope.WorkerGlobalScope !== undefined && scope.addEventListener && scope.postMessage) {
  const post = scope.postMessage.bind(scope);
  scope.addEventListener("message", (event) => {
    const request = event.data as PowWorkerRequest;
    try {
      post({ ok: true, solution: solvePow(request.challenge) });
    } catch (err) {
      post({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
