/** `welcome`, the first event of every socket: what each enabled space offers, limits, help. */
import type { SpacePolicy } from "@duet/engine";
import { type CrisisResource, LIMITS, type Welcome } from "@duet/protocol";
import type { SafetyServices } from "./types";

export function welcomeFor(
  spaces: readonly SpacePolicy[],
  safety: Pick<SafetyServices, "iceTransportPolicy">,
  crisisResources: readonly CrisisResource[],
): Welcome {
  return {
    spaces: spaces.map((p) => ({
      id: p.id,
      ...(p.intents ? { intents: [...p.intents] } : {}),
      ...(p.pairing.topics ? { topics: [...p.pairing.topics.list] } : {}),
      ...(p.controls.length > 0 ? { controls: [...p.controls] } : {}),
      ...(p.searchTimeoutMs !== null ? { searchTimeoutMs: p.searchTimeoutMs } : {}),
      ...(p.typingIndicator ? { typingIndicator: true } : {}),
      ...(p.careOffer ? { careOffer: true } : {}),
      ...(p.media === "video"
        ? { iceTransportPolicy: safety.iceTransportPolicy ?? ("all" as const) }
        : {}),
    })),
    limits: { maxMessageLength: LIMITS.maxMessageLength },
    crisisResources: [...crisisResources],
  };
}
