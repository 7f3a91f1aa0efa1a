import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Challenge, solveChallenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { afterEach, describe, expect, it } from "vitest";
import type { HttpHandler } from "../../src/http";
import { type TokenRoutesDeps, tokenRoutes } from "../../src/identity/http";
import { issueToken, TOKEN_COOKIE } from "../../src/identity/token";
import { IpHasher, Limits, type LimitsOptions } from "../../src/limits";
import type { Logger } from "../../src/logger";

const secret = Buffer.from("a-test-secret-of-at-least-32-characters!", "utf8");
const LIFETIME = 365 * 86_400_000;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => unknown;
}

interface Harness {
  base: string;
  host: string;
  logs: string[];
  clock: { now: () => number; set: (ms: number) => void };
  call: (
    method: string,
    path: string,
    headers?: Record<string, string>,
    body?: string,
  ) => Promise<Reply>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function start(
  overrides: Partial<TokenRoutesDeps> = {},
  limitOptions: LimitsOptions = {},
): Promise<Harness> {
  const logs: string[] = [];
  const log = (obj: object, msg?: string) => logs.push(JSON.stringify({ ...obj, msg }));
  const logger: Logger = { debug: log, info: log, warn: log, error: log };
  let now = Date.now();
  const clock = { now: () => now, set: (ms: number) => (now = ms) };
  const routes: HttpHandler = tokenRoutes({
    secret,
    lifetimeMs: LIFETIME,
    maxNumber: 1000,
    limits: new Limits(limitOptions),
    ipHasher: new IpHasher(),
    trustProxy: false,
    clock,
    logger,
    ...overrides,
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    routes(req, res, url).then(
      (handled) => {
        if (!handled) res.writeHead(404).end("next");
      },
      () => res.writeHead(500).end(),
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  const call: Harness["call"] = (method, path, headers = {}, body) =>
    new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text),
          });
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  return { base: `http://${host}`, host, logs, clock, call };
}

/** The browser's steps: fetch a challenge, solve it (altcha-lib's solver), return the payload. */
async function solvedPayload(h: Harness): Promise<string> {
  const res = await h.call("GET", "/api/token/challenge");
  expect(res.status).toBe(200);
  expect(res.headers["cache-control"]).toBe("no-store");
  const challenge = res.json() as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  return Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
}

const json = { "content-type": "application/json" };
const post = (h: Harness, payload: unknown, headers: Record<string, string> = json) =>
  h.call("POST", "/api/token", headers, JSON.stringify({ payload }));

function cookieOf(reply: Reply): string {
  const header = reply.headers["set-cookie"];
  const line = Array.isArray(header) ? header[0] : header;
  if (!line) throw new Error("no Set-Cookie");
  return line;
}

describe("token routes", () => {
  it("challenge → solve → POST → an httpOnly, SameSite=Strict cookie (no Secure over http)", async () => {
    const h = await start();
    const before = await h.call("GET", "/api/token");
    expect(before.status).toBe(200);
    expect(before.json()).toEqual({ hasToken: false });

    const issued = await post(h, await solvedPayload(h));
    expect(issued.status).toBe(204);
    const setCookie = cookieOf(issued);
    expect(setCookie).toMatch(new RegExp(`^${TOKEN_COOKIE}=v1\\.`));
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).toContain(`Max-Age=${LIFETIME / 1000}`);
    expect(setCookie).not.toMatch(/Secure/i);

    const cookie = setCookie.split(";")[0] as string;
    const after = await h.call("GET", "/api/token", { cookie });
    expect(after.json()).toEqual({ hasToken: true });

    // Logs never carry the address, the token or the cookie.
    const logs = h.logs.join("\n");
    expect(logs).not.toContain("127.0.0.1");
    expect(logs).not.toContain(cookie.split("=")[1]);
  });

  it("a forged or tampered cookie reports hasToken false", async () => {
    const h = await start();
    const forged = issueToken(Buffer.from("some-other-secret-of-32-characters!!!!"), Date.now());
    const r1 = await h.call("GET", "/api/token", {
      cookie: `${TOKEN_COOKIE}=${forged.cookieValue}`,
    });
    expect(r1.json()).toEqual({ hasToken: false });
    const real = issueToken(secret, Date.now()).cookieValue;
    const tampered = `${real.slice(0, 5)}${real[5] === "A" ? "B" : "A"}${real.slice(6)}`;
    const r2 = await h.call("GET", "/api/token", { cookie: `${TOKEN_COOKIE}=${tampered}` });
    expect(r2.json()).toEqual({ hasToken: false });
    const r3 = await h.call("GET", "/api/token", { cookie: `${TOKEN_COOKIE}=${real}` });
    expect(r3.json()).toEqual({ hasToken: true });
  });

  it("behind a trusted proxy that says https, the cookie is Secure; untrusted, it is not", async () => {
    const trusted = await start({ trustProxy: true });
    const secure = await post(trusted, await solvedPayload(trusted), {
      ...json,
      "x-forwarded-proto": "https",
    });
    expect(secure.status).toBe(204);
    expect(cookieOf(secure)).toContain("Secure");

    const untrusted = await start({ trustProxy: false });
    const plain = await post(untrusted, await solvedPayload(untrusted), {
      ...json,
      "x-forwarded-proto": "https",
    });
    expect(plain.status).toBe(204);
    expect(cookieOf(plain)).not.toContain("Secure");
  });

  it("a solution buys one token: the replay is refused with 403", async () => {
    const h = await start();
    const payload = await solvedPayload(h);
    expect((await post(h, payload)).status).toBe(204);
    const replay = await post(h, payload);
    expect(replay.status).toBe(403);
    expect(replay.headers["set-cookie"]).toBeUndefined();
  });

  it("an expired challenge is refused with 403", async () => {
    const h = await start({ powTtlMs: 60_000 });
    const payload = await solvedPayload(h);
    h.clock.set(h.clock.now() + 60_000);
    expect((await post(h, payload)).status).toBe(403);
  });

  it("bad payloads are 400, a wrong solution 403", async () => {
    const h = await start();
    expect((await post(h, undefined)).status).toBe(400);
    expect((await post(h, 42)).status).toBe(400);
    expect((await post(h, "bm90IGEgcGF5bG9hZA==")).status).toBe(400);
    expect((await h.call("POST", "/api/token", json, "{not json")).status).toBe(400);
    expect(
      (await h.call("POST", "/api/token", json, JSON.stringify({ payload: "x".repeat(9000) })))
        .status,
    ).toBe(400);

    const payload = await solvedPayload(h);
    const decoded = JSON.parse(Buffer.from(payload, "base64").toString("utf8"));
    decoded.solution.counter += 1;
    const wrong = Buffer.from(JSON.stringify(decoded)).toString("base64");
    expect((await post(h, wrong)).status).toBe(403);
  });

  it("429 after the issuance limit, with Retry-After and retryAfterMs", async () => {
    const h = await start(
      {},
      { rules: { tokenIssue: [{ scope: "ip", points: 2, durationMs: 3_600_000 }] } },
    );
    expect((await post(h, await solvedPayload(h))).status).toBe(204);
    expect((await post(h, await solvedPayload(h))).status).toBe(204);
    const limited = await post(h, await solvedPayload(h));
    expect(limited.status).toBe(429);
    expect(limited.headers["set-cookie"]).toBeUndefined();
    const retryAfter = Number(limited.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    const body = limited.json() as { retryAfterMs: number };
    expect(body.retryAfterMs).toBeGreaterThan(0);
    expect(Math.ceil(body.retryAfterMs / 1000)).toBe(retryAfter);
  });

  it("challenges are capped per IP too", async () => {
    const h = await start(
      {},
      { rules: { challenge: [{ scope: "ip", points: 2, durationMs: 60_000 }] } },
    );
    expect((await h.call("GET", "/api/token/challenge")).status).toBe(200);
    expect((await h.call("GET", "/api/token/challenge")).status).toBe(200);
    const limited = await h.call("GET", "/api/token/challenge");
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBeDefined();
  });

  it("cross-site POSTs are refused; same-origin ones pass", async () => {
    const h = await start();
    const evil = await post(h, await solvedPayload(h), { ...json, origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(evil.headers["set-cookie"]).toBeUndefined();
    expect((await post(h, await solvedPayload(h), { ...json, origin: "null" })).status).toBe(403);
    expect(
      (await post(h, await solvedPayload(h), { ...json, "sec-fetch-site": "cross-site" })).status,
    ).toBe(403);
    // A form post cannot send JSON without a preflight.
    const form = await post(h, await solvedPayload(h), {
      "content-type": "text/plain",
      origin: `http://${h.host}`,
    });
    expect(form.status).toBe(415);

    const same = await post(h, await solvedPayload(h), {
      "content-type": "application/json; charset=utf-8",
      origin: `http://${h.host}`,
      "sec-fetch-site": "same-origin",
    });
    expect(same.status).toBe(204);
  });

  it("X-Forwarded-Host counts for the origin check only behind a trusted proxy", async () => {
    const headers = { ...json, origin: "https://duet.example", "x-forwarded-host": "duet.example" };
    const trusted = await start({ trustProxy: true });
    expect((await post(trusted, await solvedPayload(trusted), headers)).status).toBe(204);
    const untrusted = await start({ trustProxy: false });
    expect((await post(untrusted, await solvedPayload(untrusted), headers)).status).toBe(403);
  });

  it("other methods get 405; other paths are left to the next handler", async () => {
    const h = await start();
    const del = await h.call("DELETE", "/api/token");
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe("GET, POST");
    expect((await h.call("POST", "/api/token/challenge", json, "{}")).status).toBe(405);
    expect((await h.call("GET", "/api/tokens")).body).toBe("next");
    expect((await h.call("GET", "/constructor")).body).toBe("next");
  });
});
