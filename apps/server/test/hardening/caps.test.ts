/**
 * Caps on open connections (per address, per process) and on one address's places in a queue,
 * through the production request listener (server.ts) so /healthz is the real one (issue 15).
 * Addresses come from X-Forwarded-For with TRUST_PROXY=true; every byte stays on 127.0.0.1.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { effectiveMaxConnections, FILE_RESERVE, openFileLimit } from "../../src/connection-caps";
import type { Logger } from "../../src/logger";
import type { DuetProcess } from "../../src/server";
import type { TestClient } from "../harness";
import { behindProxy } from "./behind-proxy";

const WAIT = 30_000;
const lines: { msg: string; obj: Record<string, unknown> }[] = [];
const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => lines.push({ msg: msg ?? "", obj: obj as Record<string, unknown> }),
  error: (obj, msg) => lines.push({ msg: msg ?? "", obj: obj as Record<string, unknown> }),
};
const { start, from, clients } = behindProxy(logger);
afterEach(() => {
  lines.length = 0;
});
const url = (p: DuetProcess) => `http://127.0.0.1:${p.port}`;

/** A new Engine.IO connection over HTTP long-polling: its status and body. */
async function handshake(
  p: DuetProcess,
  address: string,
): Promise<{ status: number; body: string; retryAfter?: string }> {
  const res = await fetch(`${url(p)}/socket.io/?EIO=4&transport=polling`, {
    headers: { "x-forwarded-for": address },
  });
  const retryAfter = res.headers.get("retry-after") ?? undefined;
  return { status: res.status, body: await res.text(), ...(retryAfter ? { retryAfter } : {}) };
}

/** A new WebSocket connection's upgrade request: the status the server answers with. */
function upgrade(p: DuetProcess, address: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port: p.port,
      path: "/socket.io/?EIO=4&transport=websocket",
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": Buffer.from("0123456789abcdef").toString("base64"),
        "x-forwarded-for": address,
      },
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: "" });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("connection caps", () => {
  it("one address holds at most MAX_CONNECTIONS_PER_ADDRESS; refused with 429 and why; others unaffected", async () => {
    const p = await start({ MAX_CONNECTIONS_PER_ADDRESS: "4" });
    const mine = await Promise.all([1, 2, 3, 4].map(() => from(p, "203.0.113.5")));
    const ws = await upgrade(p, "203.0.113.5");
    expect(ws.status).toBe(429);
    expect(JSON.parse(ws.body)).toMatchObject({ code: "too_many_connections_from_address" });
    const polling = await handshake(p, "203.0.113.5");
    expect(polling.status).toBe(429);
    expect(polling.retryAfter).toBeDefined();
    expect(JSON.parse(polling.body).message).toMatch(/too many connections/i);
    // Another address is not affected, and a slot freed is a slot again.
    await from(p, "203.0.113.6");
    mine[0]?.close();
    // The slot is free once the server has seen the connection close (a moment after the client
    // left its namespace).
    let again: TestClient | undefined;
    const deadline = Date.now() + WAIT;
    while (!again && Date.now() < deadline) {
      again = await from(p, "203.0.113.5").catch(() => undefined);
      if (!again) await new Promise((r) => setTimeout(r, 50));
    }
    expect(again).toBeDefined();
    // Logged once for the period, however many were refused.
    await upgrade(p, "203.0.113.5");
    await upgrade(p, "203.0.113.5");
    const refused = lines.filter((l) => l.msg === "connections refused");
    expect(refused).toHaveLength(1);
    expect(refused[0]?.obj).toMatchObject({ reason: "too_many_connections_from_address" });
    expect(JSON.stringify(lines)).not.toContain("203.0.113");
  });

  it("at the process cap new connections get 503 while /healthz, /readyz and /metrics still answer", async () => {
    const p = await start({ MAX_CONNECTIONS: "6", MAX_CONNECTIONS_PER_ADDRESS: "500" });
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => from(p, `198.51.100.${i}`)));
    const ws = await upgrade(p, "198.51.100.99");
    expect(ws.status).toBe(503);
    expect(JSON.parse(ws.body)).toMatchObject({ code: "server_full" });
    expect((await handshake(p, "198.51.100.98")).status).toBe(503);
    expect((await fetch(`${url(p)}/healthz`)).status).toBe(200);
    expect((await fetch(`${url(p)}/readyz`)).status).toBe(200);
    expect((await fetch(`${url(p)}/metrics`)).status).toBe(200);
    // The sockets already open are served as before.
    const first = clients[0] as TestClient;
    expect(await first.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
  });

  it("the process cap is kept below the open-file limit, with room for everything else", () => {
    expect(effectiveMaxConnections(19_500, 20_000)).toBe(20_000 - FILE_RESERVE);
    expect(effectiveMaxConnections(5_000, 20_000)).toBe(5_000);
    expect(effectiveMaxConnections(18_000, undefined)).toBe(18_000);
    expect(effectiveMaxConnections(18_000, 100)).toBe(1);
    const limit = openFileLimit();
    // Linux: the real limit is read (what this machine's processes get).
    if (process.platform === "linux") expect(limit).toBeGreaterThan(0);
  });
});

describe("waiting cap", () => {
  it("one address holds at most MAX_WAITING_PER_ADDRESS places in a space's queue", async () => {
    const p = await start({ MAX_WAITING_PER_ADDRESS: "2" });
    const [l1, l2, l3] = await Promise.all([1, 2, 3].map(() => from(p, "192.0.2.10")));
    const listen = { space: "menti", intent: "listen" } as const;
    expect(await l1?.emit("join", listen)).toEqual({ ok: true });
    expect(await l2?.emit("join", listen)).toEqual({ ok: true });
    expect(await l3?.emit("join", listen)).toMatchObject({
      ok: false,
      code: "too_many_waiting_here",
    });
    // A duplicate join of someone already waiting is not a new place: still fine.
    expect(await l1?.emit("join", listen)).toEqual({ ok: true });
    // Other addresses queue as usual; a talker from one of them takes one of the two.
    const other = await from(p, "192.0.2.11");
    expect(await other.emit("join", listen)).toEqual({ ok: true });
    const talker = await from(p, "192.0.2.12");
    expect(await talker.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
    await (l1 as TestClient).waitState((s) => s.state === "MATCHED", WAIT);
    // That freed a place for the address.
    expect(await l3?.emit("join", listen)).toEqual({ ok: true });
    // The cap counts the address's places whatever the intent: a talker from it is over it too.
    const l4 = await from(p, "192.0.2.10");
    expect(await l4.emit("join", { space: "menti", intent: "talk" })).toMatchObject({
      code: "too_many_waiting_here",
    });
  });
});
