/**
 * Trust after a long talk (SPEC §6): an unreported conversation of at least `longChatMs` in a
 * space with trust tiers raises both passes' trust a little — only between two different
 * addresses, so that one person with two browsers cannot raise their own.
 */
import { type Observation, type SpacePolicy, TRUST } from "@duet/engine";
import type { SafetyRepo } from "@duet/persistence";
import type { SpaceId } from "@duet/protocol";
import type { Logger } from "../logger";

export interface LongTalkTrust {
  /** A match; `ipHashOf` gives a participant's address hash if it is connected here. */
  matched(
    ob: Extract<Observation, { kind: "matched" }>,
    ipHashOf: (userId: string) => string | undefined,
  ): void;
  closed(ob: Extract<Observation, { kind: "closed" }>): void;
}

export function createLongTalkTrust(deps: {
  policies: ReadonlyMap<SpaceId, SpacePolicy>;
  repo: Pick<SafetyRepo, "adjustTrust">;
  longChatMs: number;
  logger: Logger;
}): LongTalkTrust {
  const { policies, repo, longChatMs, logger } = deps;
  const tiered = (space: SpaceId): boolean => {
    const policy = policies.get(space);
    return policy?.identity === "token" && policy.pairing.trustTiers;
  };
  /** Open sessions of tiered spaces: whether their two participants came from two addresses. */
  const twoAddresses = new Map<string, boolean>();

  return {
    matched(ob, ipHashOf) {
      if (!tiered(ob.space)) return;
      const [a, b] = ob.participants.map(ipHashOf);
      twoAddresses.set(ob.sessionId, a !== undefined && b !== undefined && a !== b);
    },
    closed(ob) {
      const distinct = twoAddresses.get(ob.sessionId) === true;
      twoAddresses.delete(ob.sessionId);
      if (!distinct || ob.reason === "reported" || !tiered(ob.space)) return;
      if (ob.activeMs === null || ob.activeMs < longChatMs) return;
      for (const p of ob.participants) {
        repo
          .adjustTrust(p.person, TRUST.longChatGain, Date.now(), TRUST)
          .catch((err: unknown) => logger.error({ err }, "raising trust failed"));
      }
    },
  };
}
