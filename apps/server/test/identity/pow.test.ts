import { createHash } from "node:crypto";
import { type Challenge, solveChallenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodePowPayload,
  PowSearch,
  sha256,
  solvePow,
  solvePowInSlices,
} from "../../../web/lib/pow-worker";
import {
  checkPow,
  createPowChallenge,
  powHmacKey,
  SpentChallenges,
  verifyPow,
} from "../../src/identity/pow";

const hmacKey = powHmacKey(Buffer.from("a-test-secret-of-at-least-32-characters!"));
const TTL = 60_000;
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Solves with altcha-lib's own solver and encodes the payload as altcha does. */
async function solveWithAltcha(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error("unsolved");
  return Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
}

function reencode(payload: string, edit: (p: Record<string, unknown>) => void): string {
  const decoded = JSON.parse(Buffer.from(payload, "base64").toString("utf8"));
  edit(decoded);
  return Buffer.from(JSON.stringify(decoded)).toString("base64");
}

const flipLastHex = (hex: string): string => `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}`;

describe("proof of work: challenges", () => {
  it("are signed SHA-256 challenges with a random nonce and salt and an expiry", async () => {
    const a = await createPowChallenge({ hmacKey, maxNumber: 1000, ttlMs: TTL, now: NOW });
    const b = await createPowChallenge({ hmacKey, maxNumber: 1000, ttlMs: TTL, now: NOW });
    expect(a.parameters.algorithm).toBe("SHA-256");
    expect(a.parameters.cost).toBe(1);
    expect(a.parameters.data).toEqual({ expires: NOW + TTL });
    expect(a.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(a.parameters.nonce).not.toBe(b.parameters.nonce);
    expect(a.parameters.salt).not.toBe(b.parameters.salt);
  });

  it("the secret counter stays within maxNumber", async () => {
    for (let i = 0; i < 10; i++) {
      const c = await createPowChallenge({ hmacKey, maxNumber: 50, ttlMs: TTL, now: NOW });
      expect(solvePow(c).counter).toBeLessThanOrEqual(50);
    }
  });

  it("the altcha key is derived from the token secret, not the secret itself", () => {
    const secret = Buffer.from("a-test-secret-of-at-least-32-characters!");
    expect(powHmacKey(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(powHmacKey(secret)).not.toContain(secret.toString("hex"));
    expect(powHmacKey(Buffer.from("another-secret-of-at-least-32-characters"))).not.toBe(
      powHmacKey(secret),
    );
  });
});

describe("proof of work: verification", () => {
  it("a solved challenge (altcha-lib's solver) verifies once; the replay fails", async () => {
    const spent = new SpentChallenges();
    const challenge = await createPowChallenge({ hmacKey, maxNumber: 1000, ttlMs: TTL, now: NOW });
    const payload = await solveWithAltcha(challenge);
    expect(await verifyPow(payload, hmacKey, NOW + 1000, spent)).toBe(true);
    expect(await checkPow(payload, hmacKey, NOW + 2000, spent)).toBe("replayed");
    expect(await verifyPow(payload, hmacKey, NOW + 2000, spent)).toBe(false);
  });

  it("concurrent submissions of one solution: exactly one wins", async () => {
    const spent = new SpentChallenges();
    const challenge = await createPowChallenge({ hmacKey, maxNumber: 500, ttlMs: TTL, now: NOW });
    const payload = await solveWithAltcha(challenge);
    const verdicts = await Promise.all(
      Array.from({ length: 5 }, () => checkPow(payload, hmacKey, NOW, spent)),
    );
    expect(verdicts.filter((v) => v === "ok")).toHaveLength(1);
    expect(verdicts.filter((v) => v === "replayed")).toHaveLength(4);
  });

  it("an expired challenge fails", async () => {
    const challenge = await createPowChallenge({ hmacKey, maxNumber: 500, ttlMs: TTL, now: NOW });
    const payload = await solveWithAltcha(challenge);
    const spent = new SpentChallenges();
    expect(await checkPow(payload, hmacKey, NOW + TTL, spent)).toBe("expired");
    expect(await checkPow(payload, hmacKey, NOW + TTL + 1, spent)).toBe("expired");
    expect(await checkPow(payload, hmacKey, NOW + TTL - 1, spent)).toBe("ok");
  });

  it("tampering fails: parameters, signature, counter, derived key, another server's key", async () => {
    const challenge = await createPowChallenge({ hmacKey, maxNumber: 500, ttlMs: TTL, now: NOW });
    const payload = await solveWithAltcha(challenge);
    type P = {
      challenge: { parameters: Record<string, unknown>; signature: string };
      solution: { counter: number; derivedKey: string };
    };
    const edits: Array<(p: P) => void> = [
      (p) => {
        p.challenge.parameters.data = { expires: NOW + 100 * TTL };
      },
      (p) => {
        p.challenge.parameters.keyPrefix = "00";
      },
      (p) => {
        p.challenge.parameters.cost = 2;
      },
      (p) => {
        p.challenge.signature = flipLastHex(p.challenge.signature);
      },
      (p) => {
        p.solution.counter += 1;
      },
      (p) => {
        p.solution.derivedKey = flipLastHex(p.solution.derivedKey);
      },
      (p) => {
        p.solution.derivedKey = p.solution.derivedKey.toUpperCase();
      },
    ];
    for (const edit of edits) {
      const tampered = reencode(payload, (p) => edit(p as unknown as P));
      expect(await verifyPow(tampered, hmacKey, NOW, new SpentChallenges())).toBe(false);
    }
    const otherKey = powHmacKey(Buffer.from("another-secret-of-at-least-32-characters"));
    expect(await verifyPow(payload, otherKey, NOW, new SpentChallenges())).toBe(false);
    // The untouched payload is still good.
    expect(await verifyPow(payload, hmacKey, NOW, new SpentChallenges())).toBe(true);
  });

  it("a solution to an unsigned challenge fails", async () => {
    const challenge = await createPowChallenge({ hmacKey, maxNumber: 100, ttlMs: TTL, now: NOW });
    const unsigned = { parameters: challenge.parameters } as Challenge;
    const solution = await solveChallenge({ challenge: unsigned, deriveKey });
    const payload = Buffer.from(JSON.stringify({ challenge: unsigned, solution })).toString(
      "base64",
    );
    expect(await checkPow(payload, hmacKey, NOW, new SpentChallenges())).toBe("malformed");
  });

  it("malformed payloads are reported as such and never throw", async () => {
    const spent = new SpentChallenges();
    const samples: unknown[] = [
      undefined,
      null,
      42,
      "",
      "not base64 at all!",
      Buffer.from("{}").toString("base64"),
      Buffer.from("[1,2]").toString("base64"),
      Buffer.from('{"challenge":{},"solution":{}}').toString("base64"),
      "A".repeat(5000),
    ];
    for (const sample of samples) {
      expect(await checkPow(sample, hmacKey, NOW, spent)).toBe("malformed");
    }
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (s) => {
        const verdict = await checkPow(s, hmacKey, NOW, spent);
        return verdict === "malformed" || verdict === "invalid";
      }),
      { numRuns: 200 },
    );
  });
});

describe("proof of work: spent-challenge memory", () => {
  it("forgets entries once they expire", () => {
    const spent = new SpentChallenges(100);
    expect(spent.add("a", NOW + 10, NOW)).toBe(true);
    expect(spent.add("a", NOW + 10, NOW + 5)).toBe(false);
    expect(spent.add("b", NOW + 100, NOW + 20)).toBe(true);
    expect(spent.size).toBe(1);
  });

  it("stays within its bound under load", () => {
    const spent = new SpentChallenges(50);
    for (let i = 0; i < 1000; i++) expect(spent.add(`k${i}`, NOW + TTL, NOW)).toBe(true);
    expect(spent.size).toBe(50);
    expect(spent.add("k999", NOW + TTL, NOW)).toBe(false);
  });
});

describe("proof of work: the browser's solver (apps/web/lib/pow-worker.ts)", () => {
  it("its SHA-256 matches node:crypto for any input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const expected = createHash("sha256").update(bytes).digest("hex");
        return Buffer.from(sha256(bytes)).toString("hex") === expected;
      }),
      { numRuns: 300 },
    );
    expect(Buffer.from(sha256(new TextEncoder().encode("abc"))).toString("hex")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("finds the same counter and key as altcha-lib, and its payload verifies", async () => {
    for (let i = 0; i < 5; i++) {
      const challenge = await createPowChallenge({
        hmacKey,
        maxNumber: 2000,
        ttlMs: TTL,
        now: NOW,
      });
      const ours = solvePow(challenge);
      const theirs = await solveChallenge({ challenge, deriveKey });
      expect(ours).toEqual({ counter: theirs?.counter, derivedKey: theirs?.derivedKey });
      const payload = encodePowPayload(challenge, ours, 12.3);
      expect(await checkPow(payload, hmacKey, NOW, new SpentChallenges())).toBe("ok");
    }
  });

  it("the sliced main-thread solver agrees, and stops when aborted", async () => {
    const challenge = await createPowChallenge({ hmacKey, maxNumber: 3000, ttlMs: TTL, now: NOW });
    expect(await solvePowInSlices(challenge, undefined, 1)).toEqual(solvePow(challenge));
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(solvePowInSlices(challenge, controller.signal)).rejects.toThrow("stop");
  });

  it("handles a counter that straddles words and blocks (other salt/nonce lengths)", () => {
    for (const [saltBytes, nonceBytes] of [
      [16, 16],
      [3, 5],
      [30, 29],
      [40, 21],
      [60, 60],
    ] as const) {
      const salt = Buffer.alloc(saltBytes, 7).toString("hex");
      const nonce = Buffer.alloc(nonceBytes, 9).toString("hex");
      const counter = 1234;
      const message = Buffer.concat([
        Buffer.from(salt, "hex"),
        Buffer.from(nonce, "hex"),
        Buffer.from([0, 0, counter >> 8, counter & 0xff]),
      ]);
      const key = createHash("sha256").update(message).digest("hex");
      const challenge: Challenge = {
        parameters: {
          algorithm: "SHA-256",
          cost: 1,
          keyLength: 32,
          keyPrefix: key.slice(0, 8),
          nonce,
          salt,
        },
      };
      expect(new PowSearch(challenge).run(0, 5000)).toEqual({ counter, derivedKey: key });
    }
  });

  it("refuses challenges it cannot solve correctly", () => {
    const base = {
      algorithm: "SHA-256",
      cost: 1,
      keyLength: 32,
      keyPrefix: "00",
      nonce: "00",
      salt: "00",
    };
    expect(() => new PowSearch({ parameters: { ...base, algorithm: "PBKDF2/SHA-256" } })).toThrow();
    expect(() => new PowSearch({ parameters: { ...base, cost: 5 } })).toThrow();
    expect(() => new PowSearch({ parameters: { ...base, keyPrefix: "abc" } })).toThrow();
  });
});
