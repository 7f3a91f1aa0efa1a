/**
 * The matcher's pure half: compatibility, buckets, and the choice among bucket heads.
 *
 * Waiting users sit in FIFO buckets, one per compatibility class (for menti: one per intent).
 * Every member of a bucket is equally compatible with a given joiner, so a join only looks at the
 * first few entries of each compatible bucket — cost independent of queue length (SPEC §4). The
 * "few" is for entries that share the joiner's browser id; a browser has only a handful of tabs.
 */
import type { SpacePolicy } from "./policy";
import { intentsCompatible } from "./policy";
import type { QueueEntry } from "./types";

/** How many entries per bucket a match attempt inspects. */
export const PEEK_PER_BUCKET = 4;

/**
 * Pure, symmetric compatibility of two waiting users under a space's policy. Never oneself, never
 * two tabs of one browser, never across spaces.
 */
export function compatible(policy: SpacePolicy, a: QueueEntry, b: QueueEntry): boolean {
  if (a.userId === b.userId || a.browserId === b.browserId) return false;
  if (a.space !== policy.id || b.space !== policy.id) return false;
  if (policy.pairing.intentRule === "complementary" && !intentsCompatible(a.intent, b.intent)) {
    return false;
  }
  return true;
}

/** The compatibility class of an entry: the bucket it waits in. */
export function bucketOf(entry: Pick<QueueEntry, "space" | "intent">): string {
  return `${entry.space}:${entry.intent ?? "any"}`;
}

/** Every bucket of a space, for sizing and tests. */
export function bucketsOfSpace(policy: SpacePolicy): string[] {
  const classes = policy.pairing.intentRule === "complementary" ? (policy.intents ?? []) : [];
  return classes.length === 0
    ? [bucketOf({ space: policy.id })]
    : classes.map((intent) => bucketOf({ space: policy.id, intent }));
}

/** The buckets whose members may be compatible with `entry`, i.e. where a join looks. */
export function searchBuckets(policy: SpacePolicy, entry: QueueEntry): string[] {
  if (policy.pairing.intentRule !== "complementary") return [bucketOf(entry)];
  return (policy.intents ?? [])
    .filter((intent) => intentsCompatible(entry.intent, intent))
    .map((intent) => bucketOf({ space: policy.id, intent }));
}

/**
 * Among the inspected heads, the compatible entry that has waited longest (lowest `seq`), or
 * undefined. Deterministic: `seq` is unique.
 */
export function chooseCandidate(
  policy: SpacePolicy,
  me: QueueEntry,
  heads: readonly (readonly QueueEntry[])[],
): QueueEntry | undefined {
  let best: QueueEntry | undefined;
  for (const bucket of heads) {
    for (const candidate of bucket) {
      if (!compatible(policy, me, candidate)) continue;
      if (best === undefined || candidate.seq < best.seq) best = candidate;
      break; // later entries of this bucket waited less: the first compatible one is its best
    }
  }
  return best;
}
