/**
 * Child processes of a bench run: the target server and the generators. Every child is tracked
 * and killed when the run ends, fails, or the coordinator is interrupted; every start has a
 * deadline.
 */
import { type ChildProcess, fork } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startRedis, type TestRedis } from "../../packages/redis-store/test/support/redis";
import { Channel, type TargetName } from "./ipc";

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../..");

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = (): void => {
    for (const c of live) c.kill("SIGKILL");
  };
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

async function start(
  file: string,
  args: string[],
  execArgv: string[],
  env: NodeJS.ProcessEnv,
  name: string,
  timeoutMs: number,
): Promise<{ channel: Channel; ready: Record<string, unknown> }> {
  hookExit();
  // BENCH_SERVER_BUNDLE: the server child from an esbuild bundle (BENCHMARKS.md "How to run"),
  // so that profiles name lines; under tsx every function is reported at line 1.
  const bundle = file === "server-child.ts" ? process.env.BENCH_SERVER_BUNDLE : undefined;
  const child = fork(bundle ? resolve(ROOT, bundle) : resolve(HERE, file), args, {
    cwd: ROOT,
    execArgv: bundle ? execArgv : ["--import", "tsx", ...execArgv],
    env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  live.add(child);
  child.on("exit", () => live.delete(child));
  const channel = new Channel(child, name);
  const ready = await new Promise<Record<string, unknown>>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: unknown): void => {
      const msg = m as Record<string, unknown>;
      if (msg.ready) {
        clearTimeout(timer);
        child.off("message", onMessage);
        resolveReady(msg);
      }
    };
    child.on("message", onMessage);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready`));
    });
  });
  return { channel, ready };
}

export interface ServerProc {
  channel: Channel;
  port: number;
  url: string;
  /** duet-redis: its redis-server (for counting Redis operations). */
  redis?: TestRedis;
  /** Asks for a clean exit, then kills after a deadline. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Extra Duet environment (SPACES, cooldowns, …). */
  duetEnv?: Record<string, string>;
}

/** Duet's production node flag (package.json `serve`), given to every target alike. */
export const SERVER_NODE_FLAGS = "--max-semi-space-size=64";

export async function startServer(
  target: TargetName,
  options: ServerOptions = {},
): Promise<ServerProc> {
  // Every target runs with the young-generation size Duet is deployed with (`npm run serve`):
  // the same runtime for Duet and the floors. BENCH_SERVER_FLAGS adds node flags (--trace-gc, …).
  const execArgv = [
    "--expose-gc",
    SERVER_NODE_FLAGS,
    ...(process.env.BENCH_SERVER_FLAGS?.split(" ").filter(Boolean) ?? []),
  ];
  // duet-redis: a fresh redis-server of its own per server (loopback, persistence off).
  const redis = target === "duet-redis" ? await startRedis() : undefined;
  const duetEnv = {
    ...options.duetEnv,
    ...(redis
      ? { REDIS_URL: redis.url, DATABASE_URL: "postgres://unused@127.0.0.1:1/unused" }
      : {}),
  };
  const env = { ...process.env, BENCH_DUET_ENV: JSON.stringify(duetEnv) };
  const { channel, ready } = await start(
    "server-child.ts",
    [target],
    execArgv,
    env,
    `server(${target})`,
    // Duet's start-up (an in-memory PGlite) can take minutes when the cores are busy.
    300_000,
  );
  const port = ready.port as number;
  return {
    channel,
    port,
    url: `http://127.0.0.1:${port}`,
    redis,
    async stop() {
      const child = channel.child;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        channel.request({ cmd: "exit" }, 5000).catch(() => undefined);
        const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
        await exited;
        clearTimeout(timer);
      }
      await redis?.stop();
    },
  };
}

export async function startGenerators(count: number): Promise<Channel[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      start("generator.ts", [], [], process.env, `generator ${i}`, 120_000).then((s) => s.channel),
    ),
  );
}

export async function stopGenerators(gens: readonly Channel[]): Promise<void> {
  await Promise.all(
    gens.map(async (g) => {
      const child = g.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.disconnect(); // generators exit when the IPC channel closes
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }),
  );
}
