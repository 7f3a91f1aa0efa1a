/**
 * A target server in its own process, so its RSS and CPU are its own: `duet` (also `duet-redis`,
 * and each node of `duet-cluster`: the coordinator passes REDIS_URL in BENCH_DUET_ENV),
 * `socketio` (bare Socket.IO relay) or `ws` (bare ws relay), chosen by argv[2]. Sends `{ ready, port }` once
 * listening, then answers `usage`, `gc` (needs --expose-gc), `profileStart` / `profileStop`
 * (a V8 CPU profile of the main thread over one measured phase only, via node:inspector, written
 * where the coordinator says) and `exit`.
 */

import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { startSocketIoRelay } from "../reference/socketio-relay";
import { type RunningRelay, startWsRelay } from "../reference/ws-relay";
import { startDuetServer } from "./duet-server";
import {
  type CpuTime,
  isDuetTarget,
  type ServerCmd,
  serve,
  type TargetName,
  type Usage,
} from "./ipc";
import { countSocketWrites, socketWrites } from "./socket-writes";
import { traceServer } from "./trace";

const target = process.argv[2] as TargetName;
traceServer(target);
// Before the server opens any socket, alike for every target.
countSocketWrites();
/**
 * `BENCH_HEAP=all|survivors`: `profileStart`/`profileStop` take a sampling heap profile instead
 * of a CPU profile (`.heapprofile` beside where the CPU profile would go): `all` counts every
 * allocation (objects freed by any GC included), `survivors` only what outlived a scavenge.
 */
const heapMode = process.env.BENCH_HEAP;
const extraEnv = process.env.BENCH_DUET_ENV
  ? (JSON.parse(process.env.BENCH_DUET_ENV) as Record<string, string>)
  : {};

/**
 * GC pauses and event-loop delay, so that a relay step's latency spike can be told apart: the
 * server's own pause (GC, a long task) or not. The histogram's resolution is 10 ms; its max is
 * what counts here.
 */
let gcMs = 0;
let gcMaxMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    if (e.duration > gcMaxMs) gcMaxMs = e.duration;
  }
}).observe({ entryTypes: ["gc"] });
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

function usage(server: RunningRelay): Usage {
  const since = { gcMaxMs, loopMaxMs: loopDelay.max / 1e6 };
  gcMaxMs = 0;
  loopDelay.reset();
  const m = process.memoryUsage();
  const cpu: CpuTime = process.cpuUsage();
  const writes = socketWrites();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    cpu,
    wallMs: process.uptime() * 1000,
    connections: server.connections(),
    ...(server.storeCalls ? { storeCalls: server.storeCalls() } : {}),
    ...(writes ? { writes: { ...writes } } : {}),
    gcMs,
    ...since,
  };
}

async function main(): Promise<void> {
  const server = isDuetTarget(target)
    ? await startDuetServer({ env: extraEnv })
    : target === "socketio"
      ? await startSocketIoRelay()
      : await startWsRelay();
  let inspector: Session | undefined;
  serve(async (body) => {
    const cmd = body as ServerCmd;
    if (cmd.cmd === "usage") return usage(server);
    if (cmd.cmd === "profileStart") {
      if (!inspector) {
        inspector = new Session();
        inspector.connect();
        await inspector.post("Profiler.enable");
        // 250 µs sampling: fine enough for hot spots, cheap enough not to distort them much.
        await inspector.post("Profiler.setSamplingInterval", { interval: 250 });
      }
      if (heapMode) {
        await inspector.post("HeapProfiler.enable");
        // includeObjectsCollectedBy* exist in V8 11.3 but not in node's protocol typings.
        const params = {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: heapMode !== "survivors",
        };
        await inspector.post("HeapProfiler.startSampling", params as { samplingInterval: number });
        return { started: true };
      }
      await inspector.post("Profiler.start");
      return { started: true };
    }
    if (cmd.cmd === "profileStop") {
      if (!inspector) throw new Error("no profile running");
      if (heapMode) {
        const { profile } = await inspector.post("HeapProfiler.stopSampling");
        const file = cmd.file.replace(/\.cpuprofile$/, ".heapprofile");
        writeFileSync(file, JSON.stringify(profile));
        return { file };
      }
      const { profile } = await inspector.post("Profiler.stop");
      writeFileSync(cmd.file, JSON.stringify(profile));
      return { file: cmd.file };
    }
    if (cmd.cmd === "gc") {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error("start the server child with --expose-gc");
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 50));
      }
      return usage(server);
    }
    // exit: close quickly but cleanly.
    await Promise.race([server.close(), new Promise((r) => setTimeout(r, 3000))]);
    setTimeout(() => process.exit(0), 10);
    return { exiting: true };
  });
  process.send?.({ ready: true, port: server.port });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `server child (${target}) failed: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
