/**
 * Issue 15, "one address can lock every moderator out": 53 wrong passwords from one address used
 * to make the right password from another address get 429 for 15 minutes (a global rule of 50
 * attempts per 15 minutes). Through the whole server (createDuet, default limits), with the two
 * addresses given by X-Forwarded-For behind a trusted proxy.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../harness";

const PASSWORD = "the-right-admin-password";
const A = "198.51.100.7";
const B = "203.0.113.20";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function signIn(from: string, password: string): Promise<number> {
  if (!server) throw new Error("no server");
  const res = await fetch(`${server.url}/api/admin/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-duet-admin": "1", "x-forwarded-for": from },
    body: JSON.stringify({ password }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe("admin sign-in throttling", () => {
  it("53 wrong passwords from A slow A down but never refuse B's right password", async () => {
    server = await startServer({ ADMIN_PASSWORD: PASSWORD, TRUST_PROXY: "true" });
    const statuses: number[] = [];
    for (let i = 0; i < 53; i++) statuses.push(await signIn(A, `wrong-guess-${i}`));
    // The shipped rule: 5 failures per address per 15 minutes, then 429.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    // Another address signs in at once, and again after a wrong guess of its own.
    expect(await signIn(B, PASSWORD)).toBe(200);
    expect(await signIn(B, "a typo")).toBe(401);
    expect(await signIn(B, PASSWORD)).toBe(200);
    // A is still slowed, whatever it sends.
    expect(await signIn(A, "another-guess")).toBe(429);
    expect(await signIn(A, PASSWORD)).toBe(429);
    // The database (PGlite) alone takes tens of seconds to open on a loaded machine.
  }, 120_000);

  it("wrong guesses spread over many addresses never refuse a moderator's right password", async () => {
    server = await startServer({ ADMIN_PASSWORD: PASSWORD, TRUST_PROXY: "true" });
    for (let i = 0; i < 60; i++) expect(await signIn(`192.0.2.${i + 1}`, "guess")).toBe(401);
    expect(await signIn(B, PASSWORD)).toBe(200);
  }, 120_000);

  it("only failures count: successful sign-ins never use up an address's attempts", async () => {
    server = await startServer({ ADMIN_PASSWORD: PASSWORD, TRUST_PROXY: "true" });
    for (let i = 0; i < 20; i++) expect(await signIn(A, PASSWORD)).toBe(200);
    for (let i = 0; i < 4; i++) expect(await signIn(A, `wrong-${i}`)).toBe(401);
    expect(await signIn(A, PASSWORD)).toBe(200);
    expect(await signIn(A, "wrong-5")).toBe(401);
    expect(await signIn(A, PASSWORD)).toBe(429);
  }, 120_000);
});
