/**
 * A throwaway Redis for tests (issue 18's suites), from Debian's `redis-server` package: a child
 * process of the test, on 127.0.0.1 and a free port, persistence off (`--save ''`,
 * `--appendonly no`), its folder in tmp. Installed with apt when missing and running as root;
 * otherwise the error names the package. Never skipped silently. Every wait is bounded; `stop()`
 * ends it (and it is killed when the test process exits without calling it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { aptInstallAsRoot, freePort } from "../../../persistence/test/support/debian";

export interface TestRedis {
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  /**
   * Kills the server (SIGKILL: no save, like a crash) and starts a new one on the same port,
   * empty; resolves once it answers. `downMs`: how long it stays away in between.
   */
  restart(downMs?: number): Promise<void>;
  /** Stops the server and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

const DEBIAN_PACKAGE = "redis-server";
const START_MS = 30_000;

function findRedisServer(): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/sbin"]) {
    if (!dir) continue;
    const file = join(dir, "redis-server");
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The redis-server binary, installing Debian's package as root when it is missing. */
export function ensureRedisServer(): string {
  const found = findRedisServer();
  if (found) return found;
  aptInstallAsRoot(DEBIAN_PACKAGE, "redis-server is", "to run the Redis tests");
  const bin = findRedisServer();
  if (!bin) throw new Error(`apt-get install ${DEBIAN_PACKAGE} did not provide redis-server`);
  return bin;
}

/**
 * One command in RESP over a fresh connection, for tests and readiness checks: the reply as a
 * string (simple string, bulk string, integer; null for a null bulk), or a thrown `-ERR`.
 * Bounded by `timeoutMs`.
 */
export function redisCommand(
  port: number,
  args: string[],
  timeoutMs = 5_000,
): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis ${args[0]}: no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (err: Error | null, value?: string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value ?? null);
    };
    // Bytes, not characters: a bulk string's length is in bytes.
    let data = Buffer.alloc(0);
    socket.on("error", (err) => done(err));
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf("\r\n");
      if (end < 0) return;
      const head = data.subarray(1, end).toString("utf8");
      switch (String.fromCharCode(data[0] ?? 0)) {
        case "+":
        case ":":
          return done(null, head);
        case "-":
          return done(new Error(`redis ${args[0]}: ${head}`));
        case "$": {
          const length = Number(head);
          if (length < 0) return done(null, null);
          if (data.length < end + 2 + length + 2) return;
          return done(null, data.subarray(end + 2, end + 2 + length).toString("utf8"));
        }
        case "*": {
          // An array of bulk strings (what CONFIG GET answers), returned as its raw text for a
          // test to look into once every element has arrived.
          let at = end + 2;
          for (let i = 0; i < Number(head); i++) {
            const lineEnd = data.indexOf("\r\n", at);
            if (lineEnd < 0) return;
            const length = Number(data.subarray(at + 1, lineEnd).toString("utf8"));
            at = lineEnd + 2 + Math.max(0, length) + (length >= 0 ? 2 : 0);
            if (data.length < at) return;
          }
          return done(null, data.toString("utf8"));
        }
        default:
          return done(new Error(`redis ${args[0]}: unexpected reply ${data.toString("utf8")}`));
      }
    });
    socket.write(
      `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`,
    );
  });
}

async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    try {
      if ((await redisCommand(port, ["PING"], 1_000)) === "PONG") return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server not ready within ${START_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function spawnRedis(bin: string, port: number, dir: string): ChildProcess {
  return spawn(
    bin,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--daemonize",
      "no",
      "--loglevel",
      "warning",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
}

export async function startRedis(): Promise<TestRedis> {
  const bin = ensureRedisServer();
  const dir = await mkdtemp(join(tmpdir(), "duet-redis-"));
  let child: ChildProcess | undefined;
  const killAtExit = (): void => {
    child?.kill("SIGKILL");
  };
  process.once("exit", killAtExit);
  // A port found free may be taken before the server binds it: a few tries, each bounded.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    child = spawnRedis(bin, port, dir);
    try {
      await waitReady(port, child);
      break;
    } catch (err) {
      child.kill("SIGKILL");
      if (attempt < 5) continue;
      process.removeListener("exit", killAtExit);
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const exit = async (proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> => {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill(signal);
    const late = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(late);
  };
  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async restart(downMs = 0) {
      await exit(child, "SIGKILL");
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      // The port was ours a moment ago; on a busy machine it may take a few tries to bind again.
      for (let attempt = 1; ; attempt++) {
        child = spawnRedis(bin, port, dir);
        try {
          await waitReady(port, child);
          return;
        } catch (err) {
          child.kill("SIGKILL");
          if (attempt >= 10) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    stop() {
      stopped ??= (async () => {
        await exit(child, "SIGTERM");
        process.removeListener("exit", killAtExit);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/**
 * For a test file: a throwaway redis-server started before its tests and one connection to it,
 * both closed after them. Call at the file's top level; read `.redis` (and `.server`) in tests.
 */
export function useTestRedis(): { readonly server: TestRedis; readonly redis: Redis } {
  let server: TestRedis | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  }, 600_000);
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error("redis-server not started yet");
      return server;
    },
    get redis() {
      if (!redis) throw new Error("redis-server not started yet");
      return redis;
    },
  };
}
