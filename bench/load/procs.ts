/**
 * Child processes of a bench run: the target server (duet-cluster: K node processes over one
 * redis-server) and the generators. Every child is tracked and killed when the run ends, fails,
 * or the coordinator is interrupted (the redis-server too: startRedis kills it when this process
 * exits); every start has a deadline.
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { cpus, setPriority } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  redisCommand,
  startRedis,
  type TestRedis,
} from "../../packages/redis-store/test/support/redis";
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

/** Starts a child script of bench/load/ (tsx), tracked and killed with the run, ready within `timeoutMs`. */
export const startChild = start;

/**
 * `--pin` (run.ts): the server's processes on core 0, everything else (the generators, a
 * redis-server, this coordinator) on core 1, so that the server has a core of its own and the
 * load is made beside it instead of competing with it for both. Without it the kernel moves the
 * processes between the two cores as it likes, and the server's share of a core, so the figure,
 * moves with that (BENCHMARKS.md "How to run"). Linux only (`taskset`, util-linux); needs at
 * least 2 cores. Every thread of the process is pinned (`-a`); threads it starts later inherit it.
 */
export const SERVER_CORE = "0";
export const LOAD_CORE = "1";

export function pinToCore(pid: number, core: string): void {
  // cpus(), not availableParallelism(): the latter counts only the cores this process may use,
  // one once the coordinator is pinned.
  if (cpus().length < 2) throw new Error("--pin needs at least 2 cores");
  try {
    execFileSync("taskset", ["-a", "-p", "-c", core, String(pid)], { stdio: "ignore" });
  } catch (err) {
    throw new Error(
      `--pin: taskset failed for pid ${pid} (install util-linux): ${(err as Error).message}`,
    );
  }
}

/** The redis-server's pid (INFO server), to pin it. */
async function redisPid(redis: TestRedis): Promise<number> {
  const info = (await redisCommand(redis.port, ["INFO", "server"], 5000)) ?? "";
  const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0)
    throw new Error("--pin: the redis-server's pid is unknown");
  return pid;
}

/** One server process: a node of the target. */
export interface ServerNode {
  channel: Channel;
  port: number;
  url: string;
}

export interface ServerProc {
  /** The target's server processes: one, or duet-cluster's K nodes (all over `redis`). */
  nodes: ServerNode[];
  /** Their URLs in node order: what the generators get (`setup`), a client using one of them. */
  urls: string[];
  /** duet-redis / duet-cluster: the redis-server (its CPU; for counting Redis operations). */
  redis?: TestRedis;
  /** Asks every node for a clean exit (killed after a deadline), then stops the redis-server. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Extra Duet environment (SPACES, cooldowns, …). */
  duetEnv?: Record<string, string>;
  /** duet-cluster: how many nodes (MIN_NODES…MAX_NODES; default DEFAULT_NODES). Others: 1. */
  nodes?: number;
  /** `--pin`: every node on SERVER_CORE, the redis-server on LOAD_CORE (above). */
  pin?: boolean;
}

/** duet-cluster's node count: `--nodes` (run.ts) is checked against these. */
export const DEFAULT_NODES = 3;
export const MIN_NODES = 2;
export const MAX_NODES = 8;

/** Duet's production node flag (package.json `serve`), given to every target alike. */
export const SERVER_NODE_FLAGS = "--max-semi-space-size=64";

async function stopNode(channel: Channel): Promise<void> {
  const child = channel.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  channel.request({ cmd: "exit" }, 5000).catch(() => undefined);
  const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
  await exited;
  clearTimeout(timer);
}

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
  const count = target === "duet-cluster" ? (options.nodes ?? DEFAULT_NODES) : 1;
  if (
    target === "duet-cluster" &&
    (!Number.isInteger(count) || count < MIN_NODES || count > MAX_NODES)
  )
    throw new Error(`duet-cluster: ${count} nodes; it takes ${MIN_NODES} to ${MAX_NODES}`);
  // duet-redis: a fresh redis-server of its own per server; duet-cluster: one fresh
  // redis-server shared by all its nodes (loopback, persistence off). Hooked first, so that a
  // Ctrl-C while it starts still ends in process.exit, where startRedis kills it.
  hookExit();
  const redis =
    target === "duet-redis" || target === "duet-cluster" ? await startRedis() : undefined;
  const duetEnv = {
    ...options.duetEnv,
    ...(redis
      ? { REDIS_URL: redis.url, DATABASE_URL: "postgres://unused@127.0.0.1:1/unused" }
      : {}),
  };
  const env = { ...process.env, BENCH_DUET_ENV: JSON.stringify(duetEnv) };
  // The nodes start side by side; each start has its own deadline. Duet's start-up (an in-memory
  // PGlite per node) can take minutes when the cores are busy.
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      start(
        "server-child.ts",
        [target],
        execArgv,
        env,
        count > 1 ? `server(${target} node ${i + 1}/${count})` : `server(${target})`,
        300_000,
      ),
    ),
  );
  const nodes: ServerNode[] = [];
  for (const s of started) {
    if (s.status !== "fulfilled") continue;
    const port = s.value.ready.port as number;
    nodes.push({ channel: s.value.channel, port, url: `http://127.0.0.1:${port}` });
  }
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await Promise.all(nodes.map((n) => stopNode(n.channel)));
      await redis?.stop();
    })();
    return stopped;
  };
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    // One node did not come up: stop the others and the redis-server before reporting it.
    await stop();
    throw failed.reason;
  }
  if (options.pin) {
    try {
      for (const n of nodes) {
        const pid = n.channel.child.pid;
        if (pid !== undefined) pinToCore(pid, SERVER_CORE);
      }
      if (redis) pinToCore(await redisPid(redis), LOAD_CORE);
    } catch (err) {
      await stop();
      throw err;
    }
  }
  return { nodes, urls: nodes.map((n) => n.url), ...(redis ? { redis } : {}), stop };
}

/**
 * The redis-server's CPU time so far (user + system, all its threads; INFO cpu), in ms; NaN
 * when it does not answer within 5 s (a CPU figure is then missing, the run goes on).
 */
export async function redisCpuMs(redis: TestRedis): Promise<number> {
  try {
    const info = (await redisCommand(redis.port, ["INFO", "cpu"], 5000)) ?? "";
    const field = (name: string): number =>
      Number(new RegExp(`^${name}:([0-9.]+)`, "m").exec(info)?.[1]);
    return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
  } catch {
    return Number.NaN;
  }
}

export async function startGenerators(count: number, nice = 0, pin = false): Promise<Channel[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      start("generator.ts", [], [], process.env, `generator ${i}`, 120_000).then((s) => {
        const pid = s.channel.child.pid;
        // Lower priority than the server's (run.ts `--gen-nice`); raising it back needs root.
        if (nice > 0 && pid !== undefined) setPriority(pid, nice);
        if (pin && pid !== undefined) pinToCore(pid, LOAD_CORE);
        return s.channel;
      }),
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
