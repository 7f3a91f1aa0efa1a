/**
 * Issue 15's join-flood reproduction, as figures (not a test): one socket with a pass sends
 * 26,600 stimchat joins at ~1,800/s while a menti pair on another address talks and /healthz is
 * polled. Prints how many joins were answered, when the flooder was cut off, /healthz latency
 * and the pair's message round trips during the flood.
 *
 *   node --import tsx bench/hardening/join-flood.ts            # this tree
 *   DUET_ROOT=/path/to/other/checkout node --import tsx …      # another checkout's server code
 *
 * Everything on 127.0.0.1; every loop bounded in count and time (the flood stops after 26,600
 * events or 60 s, the run after 90 s).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { io, type Socket } from "socket.io-client";

const ROOT = path.resolve(process.env.DUET_ROOT ?? path.join(import.meta.dirname, "../.."));
const FLOOD = 26_600;
const RATE_PER_S = 1_800;
const SECRET = "bench-secret-that-is-at-least-32-characters-long";

const load = async <T>(rel: string): Promise<T> =>
  (await import(pathToFileURL(path.join(ROOT, rel)).href)) as T;

interface AppModule {
  createDuet(
    http: ReturnType<typeof createServer>,
    config: unknown,
    logger: unknown,
    deps: unknown,
  ): Promise<{
    handleHttp(req: unknown, res: unknown, url: URL): Promise<boolean>;
    close(): Promise<void>;
  }>;
}
const { createDuet } = await load<AppModule>("apps/server/src/app.ts");
const { loadConfig } = await load<{ loadConfig(env: Record<string, string>): unknown }>(
  "apps/server/src/config.ts",
);
const { issueToken, TOKEN_COOKIE } = await load<{
  issueToken(secret: Buffer, now: number): { cookieValue: string };
  TOKEN_COOKIE: string;
}>("apps/server/src/identity/token.ts");
const { openSafetyRepo } = await import("@duet/persistence");
const { MemoryStore } = await import("@duet/engine");

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const config = loadConfig({
  HOST: "127.0.0.1",
  PORT: "0",
  SHUTDOWN_GRACE_MS: "0",
  TOKEN_SECRET: SECRET,
  TRUST_PROXY: "true",
  DATA_DIR: ":memory:",
});
const repo = await openSafetyRepo({ dataDir: ":memory:" });
let duet: Awaited<ReturnType<AppModule["createDuet"]>> | undefined;
const http = createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200).end("ok\n");
    return;
  }
  duet?.handleHttp(req, res, new URL(req.url ?? "/", "http://x")).then((h) => {
    if (!h) res.writeHead(404).end();
  });
});
duet = await createDuet(http, config, quiet, { store: new MemoryStore(), repo });
await new Promise<void>((r) => http.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, r));
const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
const hardStop = setTimeout(() => {
  console.error("run took over 90 s: stopping");
  process.exit(2);
}, 90_000);

const client = (address: string, cookie?: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = io(url, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      extraHeaders: { "x-forwarded-for": address, ...(cookie ? { cookie } : {}) },
    });
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
const ask = (s: Socket, event: string, payload: unknown): Promise<{ ok: boolean }> =>
  new Promise((r) => s.emit(event, payload, r));
const waitFor = (s: Socket, pred: (v: { state: string; sessionId?: string }) => boolean) =>
  new Promise<{ state: string; sessionId?: string }>((resolve) => {
    const on = (v: { state: string; sessionId?: string }) => {
      if (pred(v)) {
        s.off("state", on);
        resolve(v);
      }
    };
    s.on("state", on);
  });

// The bystanders: a menti pair on another address, in conversation.
const a = await client("198.51.100.1");
const b = await client("198.51.100.2");
const am = waitFor(a, (v) => v.state === "MATCHED");
const bm = waitFor(b, (v) => v.state === "MATCHED");
await ask(a, "join", { space: "menti", intent: "talk" });
await ask(b, "join", { space: "menti", intent: "listen" });
const [va, vb] = await Promise.all([am, bm]);
await ask(a, "enter", { sessionId: va.sessionId });
await ask(b, "enter", { sessionId: vb.sessionId });
let bystanderDropped = false;
a.on("disconnect", () => {
  bystanderDropped = true;
});
b.on("disconnect", () => {
  bystanderDropped = true;
});

// The flooder.
const cookie = `${TOKEN_COOKIE}=${issueToken(Buffer.from(SECRET, "utf8"), Date.now()).cookieValue}`;
const flooder = await client("203.0.113.9", cookie);
await new Promise((r) => setTimeout(r, 300));
let answered = 0;
let rejectedEvents = 0;
let cutOffAt: number | undefined;
let notice: string | undefined;
flooder.on("rejected", () => {
  rejectedEvents += 1;
});
flooder.on("notice", (n: { kind: string }) => {
  notice = n.kind;
});
const started = performance.now();
flooder.on("disconnect", () => {
  cutOffAt = performance.now() - started;
});

const health: number[] = [];
const rtt: number[] = [];
let bystanderRefused = 0;
let probing = true;
const probe = async () => {
  while (probing) {
    const t = performance.now();
    await fetch(`${url}/healthz`);
    health.push(performance.now() - t);
    const m = performance.now();
    const got = new Promise<void>((r) => b.once("message", () => r()));
    // One message every ~700 ms: within the message limit (8 per 5 s).
    const ack = await ask(a, "send", { text: "still here" });
    if (ack.ok) {
      await Promise.race([got, new Promise((r) => setTimeout(r, 10_000))]);
      rtt.push(performance.now() - m);
    } else bystanderRefused += 1;
    await new Promise((r) => setTimeout(r, 700));
  }
};
const probing$ = probe();

let sent = 0;
const floodDeadline = performance.now() + 60_000;
while (sent < FLOOD && performance.now() < floodDeadline && flooder.connected) {
  const batch = Math.min(RATE_PER_S / 100, FLOOD - sent);
  for (let i = 0; i < batch; i++, sent++) {
    flooder.emit("join", { space: "stimchat" }, () => {
      answered += 1;
    });
  }
  await new Promise((r) => setTimeout(r, 10));
}
const floodMs = performance.now() - started;
await new Promise((r) => setTimeout(r, 5000));
probing = false;
await probing$;

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(p * s.length))] as number) : Number.NaN;
};
const f = (n: number) => n.toFixed(1);
console.log(`server code: ${ROOT}`);
console.log(
  `flood: ${sent} joins sent over ${f(floodMs / 1000)} s (stops when the flooder is cut off); ${answered} acked, ${rejectedEvents} extra 'rejected' events`,
);
console.log(
  `flooder: ${cutOffAt === undefined ? "never disconnected" : `disconnected after ${f(cutOffAt)} ms`}${notice ? `, notice ${notice}` : ""}`,
);
console.log(
  `/healthz during the flood: ${health.length} probes, p50 ${f(q(health, 0.5))} ms, max ${f(Math.max(...health))} ms`,
);
console.log(
  `bystander pair: ${rtt.length} round trips, p50 ${f(q(rtt, 0.5))} ms, max ${f(Math.max(...rtt))} ms, ${bystanderRefused} refused; ${bystanderDropped ? "DROPPED" : "still connected"}`,
);
console.log(
  `server RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB (server and clients in one process)`,
);
clearTimeout(hardStop);
for (const s of [a, b, flooder]) s.close();
await duet.close();
await repo.close();
process.exit(0);
