/**
 * Makes sure this browser holds a Duet token (SPEC §6) before it joins a space that needs one
 * (stimchat, dormparty; never menti). The token itself is an httpOnly cookie this code never sees:
 * the server says whether one is there (GET /api/token), and issuing one costs a small proof of
 * work (GET /api/token/challenge, solve, POST /api/token). The solving runs in a Web Worker
 * (lib/pow-worker.ts); where no worker can start, on the main thread in short slices.
 */
import type { Challenge } from "altcha-lib";
import {
  encodePowPayload,
  type PowSolution,
  type PowWorkerRequest,
  type PowWorkerResponse,
  solvePowInSlices,
} from "./pow-worker";

export type EnsureTokenResult = "ok" | { readonly retryAfterMs: number };

/** Fresh challenges tried when a solution is refused (e.g. it expired while the tab slept). */
const POW_ATTEMPTS = 2;

let shared:
  | { promise: Promise<EnsureTokenResult>; controller: AbortController; waiting: number }
  | undefined;

/**
 * Resolves "ok" once the browser holds a valid token, or `{ retryAfterMs }` when the server is
 * rate-limiting token issuance for this network. Rejects on network or server errors, and with
 * the signal's reason when aborted. Concurrent calls share one request; the work stops when every
 * caller has aborted.
 */
export function ensureToken(signal?: AbortSignal): Promise<EnsureTokenResult> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (!shared) {
    const controller = new AbortController();
    const entry = {
      controller,
      waiting: 0,
      promise: obtainToken(controller.signal).finally(() => {
        if (shared === entry) shared = undefined;
      }),
    };
    shared = entry;
  }
  const entry = shared;
  entry.waiting += 1;
  if (!signal) return entry.promise;
  return new Promise<EnsureTokenResult>((resolve, reject) => {
    const onAbort = () => {
      entry.waiting -= 1;
      if (entry.waiting === 0) {
        entry.controller.abort(signal.reason);
        if (shared === entry) shared = undefined;
      }
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    entry.promise.then(
      (result) => {
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

async function obtainToken(signal: AbortSignal): Promise<EnsureTokenResult> {
  const status = await request("/api/token", { signal });
  if (!status.ok) throw new Error(`token status failed: ${status.status}`);
  const { hasToken } = (await status.json()) as { hasToken?: unknown };
  if (hasToken === true) return "ok";

  for (let attempt = 1; ; attempt++) {
    const challengeResponse = await request("/api/token/challenge", { signal });
    if (challengeResponse.status === 429) return limited(challengeResponse);
    if (!challengeResponse.ok) throw new Error(`challenge failed: ${challengeResponse.status}`);
    const challenge = (await challengeResponse.json()) as Challenge;

    const started = performance.now();
    const solution = await solve(challenge, signal);
    const payload = encodePowPayload(challenge, solution, performance.now() - started);

    const issued = await request("/api/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ payload }),
      signal,
    });
    if (issued.ok) return "ok";
    if (issued.status === 429) return limited(issued);
    if (issued.status === 403 && attempt < POW_ATTEMPTS) continue;
    throw new Error(`token refused: ${issued.status}`);
  }
}

function request(path: string, init: RequestInit): Promise<Response> {
  return fetch(path, { ...init, credentials: "same-origin", cache: "no-store" });
}

async function limited(response: Response): Promise<{ retryAfterMs: number }> {
  try {
    const body = (await response.json()) as { retryAfterMs?: unknown };
    if (typeof body.retryAfterMs === "number" && body.retryAfterMs > 0) {
      return { retryAfterMs: body.retryAfterMs };
    }
  } catch {
    // Fall back to the header.
  }
  const seconds = Number(response.headers.get("retry-after"));
  return { retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 60_000 };
}

/** In a worker when one starts; otherwise on this thread in slices. */
async function solve(challenge: Challenge, signal: AbortSignal): Promise<PowSolution> {
  let worker: Worker | undefined;
  try {
    worker = new Worker(new URL("./pow-worker.ts", import.meta.url), { type: "module" });
  } catch {
    return solvePowInSlices(challenge, signal);
  }
  const running = worker;
  try {
    return await new Promise<PowSolution>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      running.addEventListener("message", (event: MessageEvent<PowWorkerResponse>) => {
        signal.removeEventListener("abort", onAbort);
        if (event.data.ok) resolve(event.data.solution);
        else reject(new Error(event.data.error));
      });
      running.addEventListener("error", (event) => {
        // The worker script failed to load or run: solve here instead.
        event.preventDefault();
        signal.removeEventListener("abort", onAbort);
        solvePowInSlices(challenge, signal).then(resolve, reject);
      });
      const message: PowWorkerRequest = { challenge };
      running.postMessage(message);
    });
  } finally {
    running.terminate();
  }
}
