/**
 * A load generator process: holds up to a few thousand clients of one target and drives them
 * on the coordinator's commands (ipc.ts). A process may hold at most 20,000 open files, so the
 * coordinator spreads N over several of these (default ≤ 4,000 clients each).
 *
 * One generator speaks to one target per run, in that target's vocabulary (`Dialect`); against
 * duet-cluster each client talks to one of the K nodes (`nodeOf`, by its global index: of each
 * block of K clients, one per node), so one generator's clients are spread over every node:
 * - Duet: the documented protocol (docs/protocol.md). `join` with the space's payload; on
 *   `state` MATCHED → `enter` the room at once; ACTIVE = ready to talk; ENDED (or WAITING with
 *   `previous`, dormparty's re-queue) = the session is over. dormparty also exchanges a fake
 *   offer/answer over `signal` (signalling only, no media) and leaves with skip/end.
 * - references: `join` → `matched` = ready; `send` → `message`; `leave`; `ended`.
 *
 * Message text carries its own timestamp (`r|step|scheduledEpochMs`), so latency is measured at
 * the receiver against the open-loop schedule (no coordinated omission), with a clock shared by
 * every process of the machine (`now()` in ipc.ts).
 */

import { CURRENT_PROTOCOL } from "@duet/protocol/constants";
import { issueToken, TOKEN_COOKIE } from "../../apps/server/src/identity/token";
import { BENCH_TOKEN_SECRET } from "./duet-server";
import { Histogram } from "./histogram";
import {
  type ChurnCmd,
  type ChurnResult,
  type CloseCmd,
  type CloseResult,
  type ConnectCmd,
  type ConnectResult,
  type GeneratorCmd,
  isDuetTarget,
  type JoinCmd,
  type JoinResult,
  type MatchRecord,
  type NoticesResult,
  nodeOf,
  now,
  type RelayStepCmd,
  type RelayStepResult,
  type SetupCmd,
  type SpaceMode,
  serve,
} from "./ipc";
import { type ClientKind, connectWire, type Wire, wirePackets } from "./lean-client";
import { GeneratorTrace } from "./trace";

const INTENTS = ["talk", "listen", "both", "both"] as const;
/** Three of stimchat's preset topics (STIMCHAT_TOPICS in packages/engine/src/policy.ts). */
const FALLBACK_TOPICS = ["adhd", "music", "gaming"];

type Phase = "idle" | "waiting" | "matched" | "ready" | "ended" | "closed";

interface Client {
  readonly id: string;
  readonly index: number;
  /** Index into setup's `urls` (duet-cluster: one of K nodes; otherwise 0). */
  readonly node: number;
  wire: Wire | null;
  phase: Phase;
  sessionId: string | null;
  joinAt: number;
  polite: boolean;
  /** Churn: this session's own message sent / partner's received / already left. */
  sentOwn: boolean;
  gotPartner: boolean;
  leftSession: string | null;
  endCount: number;
  waitingSince: number;
  closedByUs: boolean;
}

let setup: SetupCmd | undefined;
let clients: Client[] = [];
const byId = new Map<string, Client>();
let topics: string[] = FALLBACK_TOPICS;

// Per-run counters, reset by the commands that report them.
let joinToMatched = new Histogram();
let joinToReady = new Histogram();
let matches: MatchRecord[] = [];
let doubleMatched = 0;
let rejected: Record<string, number> = {};
let firstJoinAt = 0;
let lastMatchAt = 0;
let lastProgressAt = 0;
let churning = false;
let matchedEvents = 0;
let churnMessages = 0;
const stepLatency = new Map<number, Histogram>();
const stepReceived = new Map<number, number>();
let closedAt: Record<string, number> = {};
let endedAt: Record<string, number> = {};
let dropped = 0;
/** BENCH_TRACE: slow messages and phase marks (trace.ts). */
const trace = new GeneratorTrace();

const isDuet = (): boolean => isDuetTarget(setup?.target);
const space = (): SpaceMode => setup?.space ?? "menti";

function intentOf(c: Client): string | undefined {
  return isDuet() && space() === "menti" ? INTENTS[c.index % INTENTS.length] : undefined;
}
function topicOf(c: Client): string | undefined {
  return isDuet() && space() === "stimchat-topics" ? topics[c.index % 3] : undefined;
}

function joinPayload(c: Client): unknown {
  if (!isDuet()) return {};
  switch (space()) {
    case "menti":
      return { space: "menti", intent: intentOf(c) };
    case "stimchat":
      return { space: "stimchat" };
    case "stimchat-topics":
      return { space: "stimchat", topics: [topicOf(c)] };
    case "dormparty":
      return { space: "dormparty" };
  }
}

function join(c: Client): void {
  if (!c.wire?.open) return;
  c.joinAt = now();
  c.waitingSince = c.joinAt;
  c.phase = "waiting";
  if (firstJoinAt === 0) firstJoinAt = c.joinAt;
  c.wire.emit("join", joinPayload(c));
}

// ---- what the server says --------------------------------------------------------------------

function matched(c: Client, sessionId: string): void {
  if (c.sessionId === sessionId && (c.phase === "matched" || c.phase === "ready")) return;
  if (c.phase === "matched" || c.phase === "ready") doubleMatched += 1;
  const t = now();
  c.sessionId = sessionId;
  c.phase = "matched";
  c.sentOwn = false;
  c.gotPartner = false;
  matchedEvents += 1;
  lastMatchAt = t;
  lastProgressAt = t;
  if (c.joinAt) joinToMatched.record(t - c.joinAt);
  matches.push({ client: c.id, sessionId, node: c.node });
}

function ready(c: Client, sessionId: string): void {
  if (c.sessionId !== sessionId || c.phase !== "matched") return;
  c.phase = "ready";
  lastProgressAt = now();
  if (c.joinAt) joinToReady.record(lastProgressAt - c.joinAt);
  c.joinAt = 0;
  if (churning) {
    c.sentOwn = true;
    c.wire?.emit("send", { text: "c" });
    afterExchange(c);
  }
}

/** The partner ended this session (or the server did): record the notice; churn goes on. */
function sessionOver(c: Client, sessionId: string, byUs: boolean): void {
  if (c.sessionId !== sessionId) return;
  if (!byUs && endedAt[sessionId] === undefined) endedAt[sessionId] = now();
  c.phase = "ended";
  c.endCount += 1;
  if (churning && c.leftSession !== sessionId) {
    c.leftSession = sessionId;
    // dormparty re-queues the partner left behind by itself; elsewhere look again.
    if (!(isDuet() && space() === "dormparty")) join(c);
  }
}

function deliver(c: Client, text: string): void {
  if (text.charCodeAt(0) === 0x72 /* r */) {
    const bar = text.indexOf("|", 2);
    const step = Number(text.slice(2, bar));
    const sent = Number(text.slice(bar + 1));
    let h = stepLatency.get(step);
    if (!h) {
      h = new Histogram();
      stepLatency.set(step, h);
    }
    const latency = now() - sent;
    h.record(latency);
    trace.slow(step, sent, latency);
    stepReceived.set(step, (stepReceived.get(step) ?? 0) + 1);
    return;
  }
  churnMessages += 1;
  c.gotPartner = true;
  if (churning) afterExchange(c);
}

/** Churn: both messages exchanged → leave and look again (see the header for who leaves). */
function afterExchange(c: Client): void {
  if (!c.sentOwn || !c.gotPartner || !c.sessionId || c.leftSession === c.sessionId) return;
  const w = c.wire;
  if (!w) return;
  if (!isDuet()) {
    c.leftSession = c.sessionId;
    w.emit("leave", {});
    join(c);
    return;
  }
  if (space() === "dormparty") {
    // Only one side acts, or a late skip could end the partner's next conversation.
    if (c.polite) return;
    c.leftSession = c.sessionId;
    if (c.endCount % 2 === 0) {
      w.emit("skip", {}); // both re-queued by the server
    } else {
      w.emit("end", {}); // the ender goes home and looks again; the partner is re-queued
      join(c);
    }
    return;
  }
  c.leftSession = c.sessionId;
  w.emit("exit", {});
  join(c);
}

interface StateLike {
  state: string;
  sessionId?: string;
  by?: string;
  previous?: { sessionId: string; by: string };
}

function onEvent(c: Client, event: string, payload: unknown): void {
  if (event === "message") {
    const m = payload as { text: string; from?: string };
    if (m.from === "you") return; // Duet's copy for the sender
    deliver(c, m.text);
    return;
  }
  if (isDuet()) {
    if (event === "state") {
      const s = payload as StateLike;
      if (s.state === "MATCHED" && s.sessionId) {
        const first = c.sessionId !== s.sessionId;
        matched(c, s.sessionId);
        if (first) c.wire?.emit("enter", { sessionId: s.sessionId });
      } else if (s.state === "ACTIVE" && s.sessionId) ready(c, s.sessionId);
      else if (s.state === "ENDED" && s.sessionId) sessionOver(c, s.sessionId, s.by === "you");
      else if (s.state === "WAITING" && s.previous) {
        sessionOver(c, s.previous.sessionId, s.previous.by === "you");
        c.phase = "waiting";
        c.waitingSince = now();
        c.joinAt = c.waitingSince; // re-queued by the server: the wait starts now
      } else if (s.state === "WAITING" && (c.phase === "idle" || c.phase === "ended")) {
        c.phase = "waiting"; // a join sent while the previous ending was still arriving
      } else if (s.state === "IDLE" && c.phase === "ended") c.phase = "idle";
    } else if (event === "media") {
      const m = payload as { sessionId: string; polite: boolean };
      c.polite = m.polite;
      if (!m.polite) {
        c.wire?.emit("signal", { description: { type: "offer", sdp: FAKE_SDP } });
      }
    } else if (event === "signal") {
      const s = payload as { description?: { type: string } };
      if (s.description?.type === "offer") {
        c.wire?.emit("signal", { description: { type: "answer", sdp: FAKE_SDP } });
      }
    } else if (event === "rejected") {
      const r = payload as { code: string };
      rejected[r.code] = (rejected[r.code] ?? 0) + 1;
    } else if (event === "welcome") {
      const w = payload as { spaces: { id: string; topics?: string[] }[] };
      const list = w.spaces.find((s) => s.id === "stimchat")?.topics;
      if (list && list.length >= 3) topics = list.slice(0, 3);
    }
    return;
  }
  if (event === "matched") {
    const m = payload as { sessionId: string };
    matched(c, m.sessionId);
    ready(c, m.sessionId);
  } else if (event === "ended") {
    const m = payload as { sessionId: string };
    sessionOver(c, m.sessionId, false);
  }
}

const FAKE_SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

// ---- commands --------------------------------------------------------------------------------

async function connect(cmd: ConnectCmd): Promise<ConnectResult> {
  const s = setup;
  if (!s) throw new Error("setup first");
  const start = now();
  const kind: ClientKind = s.target === "ws" ? "json-ws" : s.client;
  const needsToken = isDuetTarget(s.target) && s.space !== "menti";
  const secret = Buffer.from(BENCH_TOKEN_SECRET, "utf8");
  let next = 0;
  let failed = 0;
  const errors: string[] = [];
  const worker = async (): Promise<void> => {
    while (next < cmd.count) {
      const i = next++;
      const index = cmd.firstIndex + i;
      const node = nodeOf(index, s.urls.length);
      const url = s.urls[node];
      if (url === undefined) throw new Error(`no URL for node ${node}`);
      const c: Client = {
        id: `${s.gen}:${clients.length + i}`,
        index,
        node,
        wire: null,
        phase: "idle",
        sessionId: null,
        joinAt: 0,
        polite: false,
        sentOwn: false,
        gotPartner: false,
        leftSession: null,
        endCount: 0,
        waitingSince: 0,
        closedByUs: false,
      };
      const cookie = needsToken
        ? `${TOKEN_COOKIE}=${issueToken(secret, Date.now()).cookieValue}`
        : undefined;
      try {
        c.wire = await connectWire(kind, {
          url,
          ...(cookie ? { cookie } : {}),
          // Duet: the protocol the web client speaks (docs/protocol.md, "Versions of this
          // protocol"): no copy of one's own message (this generator asks for no acks).
          ...(isDuet() ? { auth: { protocol: CURRENT_PROTOCOL } } : {}),
          timeoutMs: cmd.timeoutMs,
          onEvent: (event, payload) => onEvent(c, event, payload),
          onClose: () => {
            if (!c.closedByUs) dropped += 1;
            c.phase = "closed";
          },
        });
        byId.set(c.id, c);
        pending.push(c);
      } catch (err) {
        failed += 1;
        if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  const pending: Client[] = [];
  await Promise.all(Array.from({ length: Math.max(1, cmd.concurrency) }, worker));
  clients = clients.concat(pending);
  return { connected: pending.length, failed, errors, ms: now() - start };
}

async function joinAll(cmd: JoinCmd): Promise<JoinResult> {
  trace.mark("joins sent");
  joinToMatched = new Histogram();
  joinToReady = new Histogram();
  matches = [];
  doubleMatched = 0;
  rejected = {};
  firstJoinAt = 0;
  lastMatchAt = 0;
  const mine = clients.filter((c) => c.phase === "idle" && c.wire?.open);
  for (const c of mine) join(c);
  const start = now();
  lastProgressAt = start;
  while (true) {
    await sleep(20);
    const t = now();
    if (mine.every((c) => c.phase === "ready")) break;
    if (t - lastProgressAt > cmd.quietMs || t - start > cmd.deadlineMs) break;
  }
  return {
    joinToMatched: joinToMatched.toData(),
    joinToReady: joinToReady.toData(),
    matches,
    ready: mine.filter((c) => c.phase === "ready").length,
    doubleMatched,
    waiting: mine
      .filter((c) => c.phase === "waiting")
      .map((c) => {
        const intent = intentOf(c);
        const topic = topicOf(c);
        return { client: c.id, ...(intent ? { intent } : {}), ...(topic ? { topic } : {}) };
      }),
    rejected,
    firstJoinAt,
    lastMatchAt,
  };
}

async function relayStep(cmd: RelayStepCmd): Promise<RelayStepResult> {
  const senders = clients.filter((c) => c.phase === "ready" && c.wire?.open);
  trace.mark(`relay step ${cmd.step}`);
  stepLatency.set(cmd.step, new Histogram());
  stepReceived.set(cmd.step, 0);
  let sent = 0;
  let maxLagMs = 0;
  const packetsBefore = { ...wirePackets };
  if (senders.length > 0 && cmd.rate > 0) {
    const interval = 1000 / cmd.rate;
    const total = Math.floor((cmd.rate * cmd.durationMs) / 1000);
    const start = now();
    while (sent < total) {
      const t = now();
      const due = Math.min(total, Math.floor((t - start) / interval) + 1);
      if (due > sent) maxLagMs = Math.max(maxLagMs, t - (start + sent * interval));
      while (sent < due) {
        const c = senders[sent % senders.length] as Client;
        c.wire?.emit("send", { text: `r|${cmd.step}|${start + sent * interval}` });
        sent += 1;
      }
      if (t - start > cmd.durationMs + 10_000) break; // hopelessly behind: stop sending
      await sleep(1);
    }
  } else await sleep(cmd.durationMs);
  await sleep(cmd.drainMs);
  return {
    sent,
    received: stepReceived.get(cmd.step) ?? 0,
    latency: (stepLatency.get(cmd.step) ?? new Histogram()).toData(),
    maxLagMs,
    packetsIn: wirePackets.in - packetsBefore.in,
    packetsOut: wirePackets.out - packetsBefore.out,
  };
}

async function churn(cmd: ChurnCmd): Promise<ChurnResult> {
  rejected = {};
  matches = [];
  matchedEvents = 0;
  churnMessages = 0;
  churning = true;
  const packetsBefore = { ...wirePackets };
  for (const c of clients) if (c.phase === "idle" && c.wire?.open) join(c);
  await sleep(cmd.durationMs);
  churning = false;
  const counted = {
    matchedEvents,
    messages: churnMessages,
    packetsIn: wirePackets.in - packetsBefore.in,
    packetsOut: wirePackets.out - packetsBefore.out,
  };
  const t = now();
  const stuck = clients.filter((c) => c.phase === "waiting" && t - c.waitingSince > 5000).length;
  return { ...counted, rejected, stuck };
}

async function closeClients(cmd: CloseCmd): Promise<CloseResult> {
  closedAt = {};
  endedAt = {};
  trace.mark("closes start");
  const interval = 1000 / Math.max(1, cmd.perSecond);
  const start = now();
  for (let i = 0; i < cmd.clients.length; i++) {
    const due = start + i * interval;
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    const c = byId.get(cmd.clients[i] as string);
    if (!c?.wire?.open || !c.sessionId) continue;
    c.closedByUs = true;
    closedAt[c.sessionId] = now();
    c.wire.close();
  }
  return { closedAt };
}

async function closeAll(): Promise<{ closed: number; dropped: number }> {
  trace.flush();
  churning = false;
  let n = 0;
  for (const c of clients) {
    c.closedByUs = true;
    if (c.wire?.open) {
      c.wire.close();
      n += 1;
    }
  }
  const deadline = now() + 5000;
  while (clients.some((c) => c.wire?.open) && now() < deadline) await sleep(20);
  const d = dropped;
  clients = [];
  byId.clear();
  dropped = 0;
  return { closed: n, dropped: d };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

serve(async (body) => {
  const cmd = body as GeneratorCmd;
  switch (cmd.cmd) {
    case "setup":
      if (cmd.urls.length === 0) throw new Error("setup: no target URL");
      setup = cmd;
      return { ok: true };
    case "connect":
      return connect(cmd);
    case "join":
      return joinAll(cmd);
    case "relayStep":
      return relayStep(cmd);
    case "churn":
      return churn(cmd);
    case "closeClients":
      return closeClients(cmd);
    case "notices":
      return { endedAt } satisfies NoticesResult;
    case "closeAll":
      return closeAll();
    case "usage":
      return { rss: process.memoryUsage().rss, dropped };
  }
});
process.send?.({ ready: true });
