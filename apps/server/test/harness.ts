/**
 * Integration-test harness: a real Duet gateway on 127.0.0.1 (bare HTTP server, no web app) and
 * real socket.io-client connections that record everything the server tells them.
 */
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryStore } from "@duet/engine";
import { openSafetyRepo, type SafetyRepo } from "@duet/persistence";
import type {
  Ack,
  ChatMessage,
  ClientPayload,
  ClientToServerEvents,
  IdentityView,
  Intent,
  Notice,
  Rejected,
  ServerToClientEvents,
  StateView,
  Welcome,
} from "@duet/protocol";
import { io, type Socket } from "socket.io-client";
import { createDuet, type Duet, type DuetDeps } from "../src/app";
import { loadConfig } from "../src/config";
import { issueToken, TOKEN_COOKIE } from "../src/identity/token";
import { type Logger, silentLogger } from "../src/logger";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestServer {
  url: string;
  port: number;
  duet: Duet;
  store: MemoryStore;
  http: HttpServer;
  close(): Promise<void>;
}

/** A fixed token secret, so tests can mint cookies (see `tokenCookieFor`). */
export const TEST_TOKEN_SECRET = "test-secret-that-is-at-least-32-characters-long";

let sharedRepo: Promise<SafetyRepo> | undefined;
/**
 * One in-memory PGlite per test process for servers that don't bring their own repository: the
 * tests that exercise the database pass one explicitly (PGlite and PostgreSQL, see safety/).
 */
function defaultRepo(): Promise<SafetyRepo> {
  sharedRepo ??= openSafetyRepo({ dataDir: ":memory:" });
  return sharedRepo;
}

export async function startServer(
  env: Record<string, string> = {},
  options: {
    repo?: SafetyRepo;
    logger?: Logger;
    tuning?: DuetDeps["tuning"];
    /** Shared with another server: two gateways over one store (a cluster in one process). */
    store?: MemoryStore;
    seams?: DuetDeps["seams"];
  } = {},
): Promise<TestServer> {
  const store = options.store ?? new MemoryStore();
  const started = await listenDuet(env, { ...options, store });
  return { ...started, store };
}

/** A node of a Redis cluster (env has REDIS_URL): its store and seams are Redis's. */
export interface ClusterNode extends Omit<TestServer, "store"> {
  readonly node: string;
}

export async function startClusterNode(
  env: Record<string, string>,
  options: { logger?: Logger; tuning?: DuetDeps["tuning"] } = {},
): Promise<ClusterNode> {
  if (!env.REDIS_URL || !env.DATABASE_URL) {
    throw new Error("startClusterNode needs REDIS_URL and DATABASE_URL");
  }
  // Each node opens its own database pool from DATABASE_URL, as separate processes do.
  const started = await listenDuet(env, { ...options, ownRepo: true });
  return { ...started, node: started.duet.node };
}

async function listenDuet(
  env: Record<string, string>,
  options: {
    repo?: SafetyRepo;
    logger?: Logger;
    tuning?: DuetDeps["tuning"];
    store?: MemoryStore;
    seams?: DuetDeps["seams"];
    /** Open the repository from the configuration (DATABASE_URL) instead of the shared PGlite. */
    ownRepo?: boolean;
  },
): Promise<Omit<TestServer, "store">> {
  const config = loadConfig({
    HOST: "127.0.0.1",
    PORT: "0",
    SHUTDOWN_GRACE_MS: "0",
    TOKEN_SECRET: TEST_TOKEN_SECRET,
    ...env,
  });
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://duet.invalid");
    duet.handleHttp(req, res, url).then(
      (handled) => {
        if (!handled) res.writeHead(404).end();
      },
      () => res.writeHead(500).end(),
    );
  });
  const repo = options.ownRepo ? undefined : (options.repo ?? (await defaultRepo()));
  const duet = await createDuet(http, config, options.logger ?? silentLogger, {
    ...(options.store ? { store: options.store } : {}),
    ...(repo ? { repo } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
    ...(options.seams ? { seams: options.seams } : {}),
  });
  await duet.gateway.joined;
  http.listen({ port: 0, host: "127.0.0.1", backlog: 4096 });
  await once(http, "listening");
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    duet,
    http,
    async close() {
      await duet.close();
    },
  };
}

/** A Cookie header with a freshly minted, valid token for this server; and the token's id. */
export function mintToken(server: Pick<TestServer, "duet">): { cookie: string; id: string } {
  const { id, cookieValue } = issueToken(server.duet.secret, Date.now());
  return { cookie: `${TOKEN_COOKIE}=${cookieValue}`, id };
}

/**
 * Polls `check` until it returns true, at most `timeoutMs`: a ceiling for an event that is
 * expected to happen, generous enough for a machine under heavy load (never a speed figure;
 * speeds are measured by the benchmarks, bench/).
 */
export async function until(
  check: () => boolean,
  timeoutMs = 20_000,
  what = "condition",
): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A connected client that records every server event it receives. */
export class TestClient {
  readonly states: StateView[] = [];
  /** The `version` of each state view received, in order. */
  readonly versions: (number | undefined)[] = [];
  readonly messages: ChatMessage[] = [];
  /**
   * Where each entry of `states` and of `messages` came from: a server event, or an ack that
   * carried it (protocol 2: docs/protocol.md "Versions of this protocol").
   */
  readonly stateSources: ("event" | "ack")[] = [];
  readonly messageSources: ("event" | "ack")[] = [];
  readonly rejected: Rejected[] = [];
  readonly notices: Notice[] = [];
  readonly identities: IdentityView[] = [];
  welcome: Welcome | undefined;
  disconnected = false;

  private constructor(readonly socket: ClientSocket) {
    socket.on("welcome", (w) => {
      this.welcome = w;
    });
    // Views are kept without their wire version (most tests compare views); `versions` has them.
    socket.on("state", ({ version, ...view }) => {
      this.states.push(view as StateView);
      this.versions.push(version);
      this.stateSources.push("event");
    });
    socket.on("message", (m) => {
      this.messages.push(m);
      this.messageSources.push("event");
    });
    socket.on("rejected", (r) => this.rejected.push(r));
    socket.on("notice", (n) => this.notices.push(n));
    socket.on("identity", (i) => this.identities.push(i));
    socket.on("disconnect", () => {
      this.disconnected = true;
    });
  }

  static async connect(
    server: Pick<TestServer, "url">,
    opts: {
      browserId?: string;
      reconnection?: boolean;
      extraHeaders?: Record<string, string>;
      /** The handshake's `auth.protocol` (absent: protocol 1, as in the first document). */
      protocol?: unknown;
    } = {},
  ): Promise<TestClient> {
    const socket: ClientSocket = io(server.url, {
      transports: ["websocket"],
      reconnection: opts.reconnection ?? false,
      forceNew: true,
      // Socket.IO's connect timeout (20 s by default): hundreds of clients at once on a busy
      // machine take longer.
      timeout: 120_000,
      auth: {
        ...(opts.browserId ? { browserId: opts.browserId } : {}),
        ...(opts.protocol !== undefined ? { protocol: opts.protocol } : {}),
      },
      ...(opts.extraHeaders ? { extraHeaders: opts.extraHeaders } : {}),
    });
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    await until(() => client.states.length > 0, 20_000, "initial IDLE state");
    return client;
  }

  get state(): StateView | undefined {
    return this.states[this.states.length - 1];
  }

  async waitState(pred: (s: StateView) => boolean, timeoutMs = 20_000): Promise<StateView> {
    let found: StateView | undefined;
    await until(
      () => {
        found = this.state && pred(this.state) ? this.state : undefined;
        return found !== undefined;
      },
      timeoutMs,
      "a state",
    );
    return found as StateView;
  }

  emit<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<Ack> {
    return new Promise((resolve) => {
      const emit = this.socket.emit.bind(this.socket) as (
        e: string,
        p: unknown,
        ack: (a: Ack) => void,
      ) => void;
      emit(event, payload, (a) => {
        // A protocol-2 ack carries what the client would otherwise have had as events.
        if (a.ok && a.state) {
          const { version, ...view } = a.state;
          this.states.push(view as StateView);
          this.versions.push(version);
          this.stateSources.push("ack");
        }
        if (a.ok && a.copy) {
          this.messages.push(a.copy);
          this.messageSources.push("ack");
        }
        resolve(a);
      });
    });
  }

  join(intent: Intent | undefined): Promise<Ack> {
    return this.emit("join", intent ? { space: "menti", intent } : { space: "menti" });
  }

  sessionId(): string {
    const s = this.state;
    if (!s || !("sessionId" in s)) throw new Error(`no session in state ${s?.state}`);
    return s.sessionId;
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Two clients matched (talk + listen), both entered: ACTIVE. */
export async function activePair(server: TestServer): Promise<[TestClient, TestClient]> {
  const a = await TestClient.connect(server);
  const b = await TestClient.connect(server);
  await a.join("talk");
  await b.join("listen");
  await a.waitState((s) => s.state === "MATCHED");
  await b.waitState((s) => s.state === "MATCHED");
  await a.emit("enter", { sessionId: a.sessionId() });
  await b.emit("enter", { sessionId: b.sessionId() });
  await a.waitState((s) => s.state === "ACTIVE");
  await b.waitState((s) => s.state === "ACTIVE");
  return [a, b];
}

/**
 * Two connected clients join (each with its own join payload), are matched with each other and
 * both enter the room: ACTIVE together. Throws if a join is refused or they meet someone else.
 */
export async function meetAndEnter(
  a: TestClient,
  b: TestClient,
  joinA: ClientPayload<"join">,
  joinB: ClientPayload<"join">,
): Promise<void> {
  for (const [client, join] of [
    [a, joinA],
    [b, joinB],
  ] as const) {
    const ack = await client.emit("join", join);
    if (!ack.ok) throw new Error(`join refused: ${JSON.stringify(ack)}`);
  }
  await a.waitState((s) => s.state === "MATCHED");
  await b.waitState((s) => s.state === "MATCHED");
  if (a.sessionId() !== b.sessionId()) throw new Error("the two were matched with others");
  await a.emit("enter", { sessionId: a.sessionId() });
  await b.emit("enter", { sessionId: b.sessionId() });
  await a.waitState((s) => s.state === "ACTIVE");
  await b.waitState((s) => s.state === "ACTIVE");
}
