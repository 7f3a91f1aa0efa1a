/**
 * Wires the engine, store, scheduler and gateway onto an HTTP server. Used by main.ts (with the
 * Next.js handler) and by the integration tests (with a bare server), so both run the same code.
 */
import type { Server as HttpServer } from "node:http";
import { Engine, MemoryStore, PRESETS, type SpacePolicy, type Store } from "@duet/engine";
import type { Config } from "./config";
import { createGateway, type Gateway } from "./gateway";
import { cryptoIds, randomId } from "./ids";
import type { Logger } from "./logger";
import { type Scheduler, TimerScheduler } from "./scheduler";

/** The enabled spaces' policies with the configuration's overrides applied. */
export function policiesFor(config: Pick<Config, "spaces" | "joinTimeoutMs">): SpacePolicy[] {
  return config.spaces.map((id) => {
    const preset = PRESETS[id];
    if (!preset) throw new Error(`space ${id} has no policy in this version`);
    const joinTimeoutMs = config.joinTimeoutMs[id];
    return joinTimeoutMs ? { ...preset, joinTimeoutMs } : preset;
  });
}

export interface Duet {
  engine: Engine;
  store: Store;
  gateway: Gateway;
  scheduler: Scheduler;
}

export function attachDuet(
  httpServer: HttpServer,
  config: Config,
  logger: Logger,
  store: Store = new MemoryStore(),
): Duet {
  const scheduler = new TimerScheduler();
  const engine = new Engine({
    store,
    clock: { now: Date.now },
    ids: cryptoIds,
    policies: policiesFor(config),
  });
  const gateway = createGateway(httpServer, {
    engine,
    scheduler,
    logger,
    newId: randomId,
    allowedOrigins: config.allowedOrigins,
    heartbeat: config.heartbeat,
    crisisResources: config.crisisResources,
    shutdownGraceMs: config.shutdownGraceMs,
  });
  return { engine, store, gateway, scheduler };
}
