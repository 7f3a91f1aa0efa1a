/**
 * The gateway end to end through real sockets: the conversation, matching rules, origin check,
 * graceful shutdown (in-process and by a real SIGTERM), and a burst of 500 clients.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compatible, MENTI } from "@duet/engine";
import { INTENTS, type Intent } from "@duet/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activePair, sleep, startServer, TestClient, type TestServer, until } from "./harness";

let server: TestServer;
const clients: TestClient[] = [];
const connect = async (opts?: Parameters<typeof TestClient.connect>[1]) => {
  const c = await TestClient.connect(server, opts);
  clients.push(c);
  return c;
};

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
});

describe("a conversation", () => {
  it("welcomes with the enabled spaces, limits and crisis resources", async () => {
    const a = await connect();
    expect(a.welcome?.spaces.map((s) => s.id)).toEqual(["menti", "stimchat", "dormparty"]);
    expect(a.welcome?.spaces[0]).toEqual({
      id: "menti",
      intents: ["listen", "talk", "both"],
      careOffer: true,
    });
    expect(a.welcome?.spaces[1]).toMatchObject({
      id: "stimchat",
      topics: expect.arrayContaining(["music"]),
      searchTimeoutMs: 60_000,
      typingIndicator: true,
    });
    expect(a.welcome?.spaces[2]).toMatchObject({ id: "dormparty", controls: ["skip", "end"] });
    expect(a.welcome?.limits.maxMessageLength).toBe(2000);
    expect(a.welcome?.crisisResources.some((r) => r.contact.includes("116 123"))).toBe(true);
  });

  it("talk and listen meet, enter, and exchange messages both ways", async () => {
    const [a, b] = await activePair(server);
    expect(a.state).toMatchObject({ state: "ACTIVE", partner: { intent: "listen" } });
    expect(b.state).toMatchObject({ state: "ACTIVE", partner: { intent: "talk" } });
    await a.emit("send", { text: "hello there" });
    await b.emit("send", { text: "hi, I'm listening" });
    await until(() => a.messages.length === 2 && b.messages.length === 2, 20_000, "messages");
    expect(a.messages.map((m) => [m.from, m.text])).toEqual([
      ["you", "hello there"],
      ["partner", "hi, I'm listening"],
    ]);
    expect(b.messages.map((m) => [m.from, m.text])).toEqual([
      ["partner", "hello there"],
      ["you", "hi, I'm listening"],
    ]);
  });

  it('care ("I\'m worried about their safety") reaches the partner only; the conversation goes on', async () => {
    const [a, b] = await activePair(server);
    const cares: { a: unknown[]; b: unknown[] } = { a: [], b: [] };
    a.socket.on("care", (p: unknown) => cares.a.push(p));
    b.socket.on("care", (p: unknown) => cares.b.push(p));
    expect(await a.emit("care", {})).toEqual({ ok: true });
    await until(() => cares.b.length === 1, 20_000, "care relayed");
    expect(cares.b).toEqual([{ sessionId: b.sessionId() }]);
    expect(cares.a).toEqual([]);
    expect(a.state?.state).toBe("ACTIVE");
    expect(b.state?.state).toBe("ACTIVE");
    // Nothing was filed, and they can go on talking.
    await b.emit("send", { text: "thank you" });
    await until(() => a.messages.length === 1, 20_000, "message after care");
    // After the end it is a no-op for the late sender, and the other side hears nothing.
    await b.emit("exit", {});
    await a.waitState((s) => s.state === "ENDED");
    expect(await a.emit("care", {})).toEqual({ ok: true });
    await sleep(50);
    expect(cares.b).toHaveLength(1);
    // Outside a conversation it is refused (stimchat and dormparty: not_in_this_space).
    const c = await connect();
    expect(await c.emit("care", {})).toMatchObject({ code: "illegal_state" });
  });

  it("exit ends it for both, permanently; a message after the end is a silent no-op", async () => {
    const [a, b] = await activePair(server);
    expect(await a.emit("exit", {})).toEqual({ ok: true });
    expect(await b.waitState((s) => s.state === "ENDED")).toMatchObject({
      reason: "left",
      by: "partner",
    });
    expect(a.state).toMatchObject({ state: "ENDED", reason: "left", by: "you" });
    expect(await b.emit("send", { text: "are you there?" })).toEqual({ ok: true });
    await sleep(50);
    expect(a.messages).toHaveLength(0);
    expect(await a.emit("exit", {})).toEqual({ ok: true });
    expect(await a.emit("home", {})).toEqual({ ok: true });
    expect(a.state).toEqual({ state: "IDLE" });
  });

  it("a join deadline is pending while MATCHED, and cancelled once ACTIVE or closed", async () => {
    const pending = () => server.duet.scheduler.size();
    expect(pending()).toBe(0);
    // Both enter: the deadline could no longer do anything, so no timer is left behind.
    const [a] = await activePair(server);
    expect(pending()).toBe(0);
    await a.emit("exit", {});
    // Matched, then one leaves before entering: the close cancels it too.
    const c = await connect();
    const d = await connect();
    await c.join("talk");
    await d.join("listen");
    await d.waitState((s) => s.state === "MATCHED");
    expect(pending()).toBe(1);
    await c.emit("exit", {});
    await d.waitState((s) => s.state === "ENDED");
    expect(pending()).toBe(0);
  });

  it("talk + talk and listen + listen are never matched; a compatible third is", async () => {
    const t1 = await connect();
    const t2 = await connect();
    await t1.join("talk");
    await t2.join("talk");
    const l1 = await connect();
    const l2 = await connect();
    await l1.join("listen");
    // l1 takes the oldest talker; t2 and l2 are now the only compatible pair left. (l1's own
    // state arrives before its ack; t1's comes on another connection: wait for it.)
    expect(l1.state?.state).toBe("MATCHED");
    await t1.waitState((s) => s.state === "MATCHED");
    await sleep(50);
    expect(t2.state?.state).toBe("WAITING");
    await l2.join("listen");
    await l2.waitState((s) => s.state === "MATCHED");
    const l3 = await connect();
    const l4 = await connect();
    await l3.join("listen");
    await l4.join("listen");
    await sleep(50);
    expect(l3.state?.state).toBe("WAITING");
    expect(l4.state?.state).toBe("WAITING");
  });

  it("cancel returns a waiting user to IDLE; a later joiner is not matched with it", async () => {
    const a = await connect();
    await a.join("talk");
    expect(await a.emit("cancel", {})).toEqual({ ok: true });
    expect(a.state).toEqual({ state: "IDLE" });
    const b = await connect();
    await b.join("listen");
    await sleep(50);
    expect(b.state?.state).toBe("WAITING");
  });
});

describe("origin check", () => {
  it("refuses a browser from a foreign origin and accepts the server's own or a configured one", async () => {
    await expect(
      TestClient.connect(server, { extraHeaders: { origin: "https://evil.example" } }),
    ).rejects.toThrow();
    const own = await connect({ extraHeaders: { origin: server.url } });
    expect(own.state).toEqual({ state: "IDLE" });
    await server.close();
    server = await startServer({ ALLOWED_ORIGINS: "https://duet.example" });
    const configured = await connect({ extraHeaders: { origin: "https://duet.example" } });
    expect(configured.state).toEqual({ state: "IDLE" });
  });
});

describe("server restart", () => {
  it("shutdown tells everyone, closes sessions with server_shutdown, then closes sockets", async () => {
    const [a, b] = await activePair(server);
    const waiting = await connect();
    await waiting.join("talk");
    await server.duet.gateway.shutdown();
    for (const c of [a, b, waiting]) {
      expect(c.notices.map((n) => n.kind)).toEqual(["server_restarting"]);
      await until(() => c.disconnected, 20_000, "socket closed by the server");
    }
    expect(a.states.at(-1)).toMatchObject({
      state: "ENDED",
      reason: "server_shutdown",
      by: "server",
    });
    expect(b.states.at(-1)).toMatchObject({
      state: "ENDED",
      reason: "server_shutdown",
      by: "server",
    });
    // The notice arrives before the ended state: people read "restarting" first.
    await expect(TestClient.connect(server)).rejects.toThrow();
  });

  it("a real SIGTERM does the same and the process exits 0", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/bare-server.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", fixture], {
      env: {
        ...process.env,
        SHUTDOWN_GRACE_MS: "100",
        DATA_DIR: mkdtempSync(join(tmpdir(), "duet-bare-")),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        // The embedded database (PGlite, WebAssembly) takes seconds to create on a busy machine.
        const timer = setTimeout(() => reject(new Error("fixture did not start")), 300_000);
        child.stdout.on("data", (d: Buffer) => {
          const m = /listening (\d+)/.exec(d.toString());
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
      });
      const remote = { url: `http://127.0.0.1:${port}` };
      const a = await TestClient.connect(remote);
      const b = await TestClient.connect(remote);
      await a.join("both");
      await b.join("both");
      await a.waitState((s) => s.state === "MATCHED");
      await b.emit("enter", { sessionId: b.sessionId() });
      await a.emit("enter", { sessionId: a.sessionId() });
      await a.waitState((s) => s.state === "ACTIVE");
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      for (const c of [a, b]) {
        expect(c.notices.map((n) => n.kind)).toEqual(["server_restarting"]);
        expect(c.states.at(-1)).toMatchObject({ state: "ENDED", reason: "server_shutdown" });
      }
    } finally {
      child.kill("SIGKILL");
    }
  }, 400_000);
});

describe("a burst of 500 clients joining at once", () => {
  it("ends with every client matched or legitimately waiting: no invalid pair, no stranded pair", async () => {
    // Matched pairs never enter here: a join limit longer than the slowest burst (on a busy
    // machine, more than the default 15 s) keeps them MATCHED until the checks are done. 500
    // clients and their server in one busy process answer pings late: the longest heartbeat
    // allowed (15 s in all) keeps them connected.
    await server.close();
    server = await startServer({
      MENTI_JOIN_TIMEOUT_MS: "600000",
      HEARTBEAT_INTERVAL_MS: "5000",
      HEARTBEAT_TIMEOUT_MS: "10000",
    });
    const n = 500;
    const burst = await Promise.all(Array.from({ length: n }, () => TestClient.connect(server)));
    clients.push(...burst);
    const intents: Intent[] = burst.map((_, i) => INTENTS[(i * 7919 + 13) % 3] as Intent);
    // Every join answered (a client that lost its connection never gets its answer: say so).
    const acks: { ok: boolean }[] = [];
    burst.forEach((c, i) => void c.join(intents[i]).then((a) => acks.push(a)));
    await until(
      () => acks.length === n || burst.some((c) => c.disconnected),
      120_000,
      "every join answered",
    );
    expect(burst.filter((c) => c.disconnected)).toHaveLength(0);
    expect(acks.every((a) => a.ok)).toBe(true);
    await until(
      () => burst.every((c) => c.state?.state === "WAITING" || c.state?.state === "MATCHED"),
      60_000,
      "all settled",
    );
    // A waiting client's MATCHED arrives on its own connection, possibly after the joiner's ack.
    await until(
      () =>
        burst.filter((c) => c.state?.state === "MATCHED").length ===
        2 * server.store.inspect().sessions.length,
      60_000,
      "every matched client told",
    );
    const { users, sessions, queued } = server.store.inspect();
    expect(users).toHaveLength(n);
    // Every session pairs two compatible, distinct users who both know they are in it.
    for (const s of sessions) {
      const [x, y] = s.participants.map((id) => users.find((u) => u.id === id));
      expect(x && y && x.id !== y.id).toBe(true);
      expect(x?.state === "MATCHED" && y?.state === "MATCHED").toBe(true);
      expect(!(x?.intent === y?.intent && x?.intent !== "both")).toBe(true);
    }
    // Nobody is in two places, and whoever waits has no compatible partner waiting.
    const matchedIds = sessions.flatMap((s) => s.participants);
    expect(new Set(matchedIds).size).toBe(matchedIds.length);
    expect(matchedIds.length + queued.length).toBe(n);
    for (const [i, x] of queued.entries()) {
      for (const y of queued.slice(i + 1)) expect(compatible(MENTI, x, y, Date.now())).toBe(false);
    }
    // The clients see what the store says.
    const matchedClients = burst.filter((c) => c.state?.state === "MATCHED").length;
    expect(matchedClients).toBe(matchedIds.length);
  }, 600_000);
});
