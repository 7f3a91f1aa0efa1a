/**
 * Page facts (src/page-facts.ts): the request headers the server hands the web app's pages. The
 * process runs the real request listener with a web app that echoes what it was given, so what
 * is checked is what Next.js would read. e2e/dormparty.spec.ts and e2e/safety.spec.ts check the
 * pages' first paint with them.
 */
import { request } from "node:http";
import { openSafetyRepo, type SafetyRepo } from "@duet/persistence";
import { PAGE_FACT_HEADERS } from "@duet/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";
import type { Logger } from "../src/logger";
import { type PageFacts, setPageFacts } from "../src/page-facts";
import { type DuetProcess, startDuetProcess, type WebApp } from "../src/server";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const PASSWORD = "an-admin-password";

/** Answers every request with the page facts it arrived with. */
const echoFacts: WebApp = {
  rendersPages: true,
  prepare: async () => undefined,
  handle: async (req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        videoPath: req.headers[PAGE_FACT_HEADERS.videoPath] ?? null,
        adminPage: req.headers[PAGE_FACT_HEADERS.adminPage] ?? null,
        stimchatTopics: req.headers[PAGE_FACT_HEADERS.stimchatTopics] ?? null,
      }),
    );
  },
  close: async () => undefined,
};

let repo: SafetyRepo;
let proc: DuetProcess;
beforeAll(async () => {
  repo = await openSafetyRepo({ dataDir: ":memory:" });
  const config = loadConfig({
    HOST: "127.0.0.1",
    PORT: "0",
    SHUTDOWN_GRACE_MS: "0",
    TOKEN_SECRET: "test-secret-that-is-at-least-32-characters-long",
    ADMIN_PASSWORD: PASSWORD,
    ICE_TRANSPORT_POLICY: "relay",
    TURN_URLS: "turn:127.0.0.1:3478",
    TURN_SECRET: "a-turn-secret-long-enough-for-the-config",
    STIMCHAT_TOPICS: "cant sleep,music,night-shift",
  });
  proc = await startDuetProcess({ config, logger: quiet, deps: { repo }, web: echoFacts });
  // PGlite (WebAssembly) takes tens of seconds to create on a loaded machine.
}, 180_000);
afterAll(async () => {
  await proc?.close();
  await repo?.close();
});

interface Reply {
  status: number;
  body: string;
  setCookie: string[];
}
function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: proc.port, method, path, headers, timeout: 30_000 },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          text += d;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            setCookie: res.headers["set-cookie"] ?? [],
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(body);
  });
}
const facts = async (path: string, headers: Record<string, string> = {}) =>
  JSON.parse((await call("GET", path, headers)).body) as {
    videoPath: string | null;
    adminPage: string | null;
    stimchatTopics: string | null;
  };

/** What a client might send to pass for the server. */
const FORGED = {
  [PAGE_FACT_HEADERS.videoPath]: "all",
  [PAGE_FACT_HEADERS.adminPage]: "signedIn",
  [PAGE_FACT_HEADERS.stimchatTopics]: "forged",
};
const TOPICS = "cant sleep,music,night-shift";

describe("page facts through the request listener", () => {
  it("every page gets the ICE policy; only /admin the moderator's session; only /stimchat its topics", async () => {
    const none = { adminPage: null, stimchatTopics: null };
    expect(await facts("/dormparty")).toEqual({ videoPath: "relay", ...none });
    expect(await facts("/")).toEqual({ videoPath: "relay", ...none });
    expect(await facts("/admin")).toEqual({
      videoPath: "relay",
      adminPage: "signedOut",
      stimchatTopics: null,
    });
    for (const path of ["/stimchat", "/stimchat/", "/stimchat?ended=1"]) {
      expect(await facts(path)).toEqual({
        videoPath: "relay",
        adminPage: null,
        stimchatTopics: TOPICS,
      });
    }
  });

  it("a client cannot set them: forged values are replaced on pages and dropped elsewhere", async () => {
    expect(await facts("/admin", FORGED)).toEqual({
      videoPath: "relay",
      adminPage: "signedOut",
      stimchatTopics: null,
    });
    expect(await facts("/dormparty", FORGED)).toEqual({
      videoPath: "relay",
      adminPage: null,
      stimchatTopics: null,
    });
    expect((await facts("/stimchat", FORGED)).stimchatTopics).toBe(TOPICS);
    // Assets are not pages: nothing is set, and what the client sent is gone.
    expect(await facts("/_next/static/chunks/x.js", FORGED)).toEqual({
      videoPath: null,
      adminPage: null,
      stimchatTopics: null,
    });
  });

  it("/admin says signedIn with a live session cookie, signedOut again after signing out", async () => {
    const guard = {
      "content-type": "application/json",
      "x-duet-admin": "1",
      origin: `http://127.0.0.1:${proc.port}`,
    };
    const login = await call(
      "POST",
      "/api/admin/login",
      guard,
      JSON.stringify({ password: PASSWORD }),
    );
    expect(login.status).toBe(200);
    const cookie = (login.setCookie[0] ?? "").split(";")[0] ?? "";
    expect(cookie).toMatch(/=/);
    expect((await facts("/admin", { cookie })).adminPage).toBe("signedIn");
    expect((await facts("/admin/", { cookie })).adminPage).toBe("signedIn");
    expect((await facts("/admin", { cookie: `${cookie}x` })).adminPage).toBe("signedOut");
    expect((await call("POST", "/api/admin/logout", { ...guard, cookie }, "{}")).status).toBe(200);
    expect((await facts("/admin", { cookie })).adminPage).toBe("signedOut");
  });
});

describe("setPageFacts", () => {
  const known: PageFacts = { videoPath: "all", adminPage: () => "disabled" };
  const fakeRequest = (headers: Record<string, string>) =>
    ({ headers: { ...headers } }) as unknown as Parameters<typeof setPageFacts>[0];

  it("passes the admin state through, disabled included", () => {
    const req = fakeRequest({});
    setPageFacts(req, "/admin", known);
    expect(req.headers[PAGE_FACT_HEADERS.adminPage]).toBe("disabled");
    expect(req.headers[PAGE_FACT_HEADERS.videoPath]).toBe("all");
  });

  it("stimchat's topics go to /stimchat only, and nowhere when stimchat offers none", () => {
    const withTopics: PageFacts = { ...known, stimchatTopics: ["music", "cant sleep"] };
    const stimchat = fakeRequest({});
    setPageFacts(stimchat, "/stimchat", withTopics);
    expect(stimchat.headers[PAGE_FACT_HEADERS.stimchatTopics]).toBe("music,cant sleep");
    const menti = fakeRequest({});
    setPageFacts(menti, "/menti", withTopics);
    expect(menti.headers[PAGE_FACT_HEADERS.stimchatTopics]).toBeUndefined();
    const forged = fakeRequest(FORGED);
    setPageFacts(forged, "/stimchat", { ...known, stimchatTopics: [] });
    expect(forged.headers[PAGE_FACT_HEADERS.stimchatTopics]).toBeUndefined();
  });

  it("before the database is open (no facts yet) it only removes what a client sent", () => {
    const req = fakeRequest(FORGED);
    setPageFacts(req, "/admin", undefined);
    expect(req.headers[PAGE_FACT_HEADERS.adminPage]).toBeUndefined();
    expect(req.headers[PAGE_FACT_HEADERS.videoPath]).toBeUndefined();
    expect(req.headers[PAGE_FACT_HEADERS.stimchatTopics]).toBeUndefined();
  });
});
