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
import { maskProfanity } from "./profanity";
import { type Scheduler, TimerScheduler } from "./scheduler";

/** The enabled spaces' policies with the configuration's overrides applied. */
export function policiesFor(config: Pick<Config, "spaces" | "overrides">): SpacePolicy[] {
  const o = config.overrides;
  return config.spaces.map((id) => {
    let policy: SpacePolicy = PRESETS[id];
    const joinTimeoutMs = o.joinTimeoutMs[id];
    if (joinTimeoutMs) policy = { ...policy, joinTimeoutMs };
    if (id === "stimchat" && policy.pairing.topics) {
      const topics = {
        ...policy.pairing.topics,
        ...(o.stimchatTopics ? { list: o.stimchatTopics } : {}),
        ...(o.stimchatTopicFallbackMs !== undefined
          ? { preferSameForMs: o.stimchatTopicFallbackMs }
          : {}),
      };
      policy = {
        ...policy,
        pairing: { ...policy.pairing, topics },
        ...(o.stimchatSearchTimeoutMs !== undefined
          ? { searchTimeoutMs: o.stimchatSearchTimeoutMs }
          : {}),
      };
    }
    if (id === "dormparty" && o.dormpartyPairCooldownMs !== undefined) {
      policy = {
        ...policy,
        pairing: { ...policy.pairing, pairCooldownMs: o.dormpartyPairCooldownMs },
      };
    }
    return policy;
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
    maskProfanity,
  });
  const gateway = createGateway(httpServer, {
    engine,
    store,
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
