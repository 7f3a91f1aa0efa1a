import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  issueToken,
  readTokenCookie,
  TOKEN_CLOCK_SKEW_MS,
  TOKEN_COOKIE,
  tokenCookie,
  tokenFromHeaders,
  verifyToken,
} from "../../src/identity/token";

const secret = Buffer.from("a-test-secret-of-at-least-32-characters!", "utf8");
const DAY = 86_400_000;
const LIFETIME = 365 * DAY;
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** Every character a cookie value could plausibly hold, and a few it could not. */
const ALPHABET = `${BASE64URL}.=+/ %;,"\\é\u0000`;

describe("user token: signing", () => {
  it("round trip: a fresh token verifies to its id and issue time", () => {
    const token = issueToken(secret, NOW);
    expect(token.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(token.id, "base64url")).toHaveLength(16);
    expect(token.cookieValue).toMatch(/^v1\.[A-Za-z0-9_-]{22}\.[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyToken(secret, token.cookieValue, NOW, LIFETIME)).toEqual({
      id: token.id,
      issuedAt: NOW,
    });
  });

  it("ids are random", () => {
    const ids = new Set(Array.from({ length: 200 }, () => issueToken(secret, NOW).id));
    expect(ids.size).toBe(200);
  });

  it("any single-character change of a valid value fails verification", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(...ALPHABET),
        fc.integer({ min: 0, max: 3 }),
        (position, replacement, seed) => {
          const { cookieValue } = issueToken(secret, NOW + seed);
          const i = position % cookieValue.length;
          fc.pre(cookieValue[i] !== replacement);
          const changed = cookieValue.slice(0, i) + replacement + cookieValue.slice(i + 1);
          return verifyToken(secret, changed, NOW + seed, LIFETIME) === undefined;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("every position, changed to every other base64url character, fails (exhaustive)", () => {
    const { cookieValue } = issueToken(secret, NOW);
    for (let i = 0; i < cookieValue.length; i++) {
      for (const c of BASE64URL) {
        if (c === cookieValue[i]) continue;
        const changed = cookieValue.slice(0, i) + c + cookieValue.slice(i + 1);
        expect(verifyToken(secret, changed, NOW, LIFETIME)).toBeUndefined();
      }
    }
  });

  it("expires after its lifetime", () => {
    const { cookieValue } = issueToken(secret, NOW);
    expect(verifyToken(secret, cookieValue, NOW + LIFETIME - 1, LIFETIME)).toBeDefined();
    expect(verifyToken(secret, cookieValue, NOW + LIFETIME, LIFETIME)).toBeUndefined();
    expect(verifyToken(secret, cookieValue, NOW + 2 * LIFETIME, LIFETIME)).toBeUndefined();
  });

  it("a token from the future is refused beyond a small clock skew", () => {
    const soon = issueToken(secret, NOW + TOKEN_CLOCK_SKEW_MS).cookieValue;
    expect(verifyToken(secret, soon, NOW, LIFETIME)).toBeDefined();
    const later = issueToken(secret, NOW + TOKEN_CLOCK_SKEW_MS + 1).cookieValue;
    expect(verifyToken(secret, later, NOW, LIFETIME)).toBeUndefined();
    const far = issueToken(secret, NOW + DAY).cookieValue;
    expect(verifyToken(secret, far, NOW, LIFETIME)).toBeUndefined();
  });

  it("a token signed under another secret is refused", () => {
    const other = randomBytes(32);
    const { cookieValue } = issueToken(other, NOW);
    expect(verifyToken(secret, cookieValue, NOW, LIFETIME)).toBeUndefined();
    expect(verifyToken(other, cookieValue, NOW, LIFETIME)).toBeDefined();
  });

  it("a forged token (right shape, made-up signature) is refused", () => {
    const id = randomBytes(16).toString("base64url");
    const forged = `v1.${id}.${NOW.toString(36)}.${randomBytes(32).toString("base64url")}`;
    expect(verifyToken(secret, forged, NOW, LIFETIME)).toBeUndefined();
  });

  it("malformed values are refused and never throw", () => {
    const valid = issueToken(secret, NOW).cookieValue;
    const [, id, at, sig] = valid.split(".");
    const samples: unknown[] = [
      undefined,
      null,
      42,
      {},
      "",
      "v1",
      "v1...",
      `v2.${id}.${at}.${sig}`,
      `v1.${id}.${at}`,
      `v1.${id}.${at}.${sig}.extra`,
      `${valid}=`,
      ` ${valid}`,
      `v1.${id}.0${at}.${sig}`,
      `v1.${id}.${at}.${sig}A`,
      valid.repeat(3),
      "v1.%%%%.!!!.???",
    ];
    for (const sample of samples) {
      expect(verifyToken(secret, sample, NOW, LIFETIME)).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(() => verifyToken(secret, s, NOW, LIFETIME)).not.toThrow();
        return verifyToken(secret, s, NOW, LIFETIME) === undefined;
      }),
    );
  });
});

describe("user token: cookie", () => {
  it("is httpOnly, SameSite=Strict, Path=/, with Max-Age in seconds; Secure only when asked", () => {
    const plain = tokenCookie("v1.abc", { secure: false, maxAgeMs: LIFETIME });
    expect(plain).toBe(
      `${TOKEN_COOKIE}=v1.abc; Max-Age=${LIFETIME / 1000}; Path=/; HttpOnly; SameSite=Strict`,
    );
    const secure = tokenCookie("v1.abc", { secure: true, maxAgeMs: 1500 });
    expect(secure).toContain("; Secure");
    expect(secure).toContain("Max-Age=1;");
  });

  it("reads the token cookie among others, and nothing from junk", () => {
    const { cookieValue } = issueToken(secret, NOW);
    expect(readTokenCookie(`a=1; ${TOKEN_COOKIE}=${cookieValue}; b=2`)).toBe(cookieValue);
    expect(readTokenCookie(undefined)).toBeUndefined();
    expect(readTokenCookie("")).toBeUndefined();
    expect(readTokenCookie("a=1; b=2")).toBeUndefined();
    expect(readTokenCookie(`${TOKEN_COOKIE}=`)).toBeUndefined();
    expect(readTokenCookie(";;;=%E0%A4%A")).toBeUndefined();
  });

  it("tokenFromHeaders verifies what the cookie holds", () => {
    const { id, cookieValue } = issueToken(secret, NOW);
    expect(
      tokenFromHeaders({ cookie: `${TOKEN_COOKIE}=${cookieValue}` }, secret, NOW, LIFETIME),
    ).toEqual({ id, issuedAt: NOW });
    expect(
      tokenFromHeaders({ cookie: `${TOKEN_COOKIE}=v1.x.y.z` }, secret, NOW, LIFETIME),
    ).toBeUndefined();
    expect(tokenFromHeaders({}, secret, NOW, LIFETIME)).toBeUndefined();
  });
});
