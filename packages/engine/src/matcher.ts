/**
 * The matcher's pure half: compatibility, buckets, and the choice among bucket heads.
 *
 * Waiting users sit in FIFO buckets by compatibility class, so a join only looks at the first few
 * entries of each bucket that can hold a partner — cost independent of queue length (SPEC §4):
 * - menti (complementary intents): one bucket per intent; a joiner looks in the buckets of the
 *   intents compatible with its own.
 * - stimchat (topics): one bucket per topic tag, plus an `open` bucket of people who accept anyone
 *   now (no tags, or tags whose preference window has passed and not "only my topics"). An entry
 *   with tags waits in each tag's bucket and joins `open` when its window passes. A joiner looks in
 *   its tags' buckets first (same topic preferred) and, if it is open itself, then in `open`.
 * - dormparty: one bucket.
 * The "few" entries per bucket cover members that are compatible by class but not by pair: the
 * joiner's own other tabs, and pairs in cooldown — a handful at most.
 *
 * Limits: a space has either intents or topics, not both (`validatePolicy` enforces it).
 */
import type { SpacePolicy } from "./policy";
import { intentsCompatible } from "./policy";
import type { QueueEntry } from "./types";

/** How many entries per bucket a match attempt inspects. */
export const PEEK_PER_BUCKET = 8;

const tagsOf = (e: QueueEntry): readonly string[] => e.topics ?? [];

/** True when `a` has a cooldown against `b`'s browser at `now`. */
function avoids(a: QueueEntry, b: QueueEntry, now: number): boolean {
  return (a.avoid ?? []).some((x) => x.browserId === b.browserId && x.until > now);
}

/** Tags both chose, in the first one's order. */
export function sharedTopics(
  a: Pick<QueueEntry, "topics">,
  b: Pick<QueueEntry, "topics">,
): string[] {
  const theirs = new Set(b.topics ?? []);
  return (a.topics ?? []).filter((t) => theirs.has(t));
}

/**
 * Whether `e` accepts a partner with no shared tag at `now`: it has no tags, or its preference
 * window has passed and it did not ask for its topics only.
 */
export function isOpen(policy: SpacePolicy, e: QueueEntry, now: number): boolean {
  const topics = policy.pairing.topics;
  if (!topics || tagsOf(e).length === 0) return true;
  return !e.onlyMine && now - e.since >= topics.preferSameForMs;
}

/**
 * Pure, symmetric compatibility of two waiting users under a space's policy at time `now`. Never
 * oneself, never two tabs of one browser, never across spaces, never inside a pair cooldown.
 */
export function compatible(
  policy: SpacePolicy,
  a: QueueEntry,
  b: QueueEntry,
  now: number,
): boolean {
  if (a.userId === b.userId || a.browserId === b.browserId) return false;
  if (a.space !== policy.id || b.space !== policy.id) return false;
  if (policy.pairing.intentRule === "complementary" && !intentsCompatible(a.intent, b.intent)) {
    return false;
  }
  if (avoids(a, b, now) || avoids(b, a, now)) return false;
  if (policy.pairing.topics) {
    return sharedTopics(a, b).length > 0 || (isOpen(policy, a, now) && isOpen(policy, b, now));
  }
  return true;
}

/** The bucket of the people in a space who accept anyone (topic spaces) or of everyone. */
export function openBucket(policy: SpacePolicy): string {
  return `${policy.id}:open`;
}

const intentBucket = (space: string, intent: string): string => `${space}:intent:${intent}`;
const topicBucket = (space: string, topic: string): string => `${space}:topic:${topic}`;

/** The buckets an entry waits in when its search starts. */
export function bucketsFor(policy: SpacePolicy, entry: QueueEntry, now: number): string[] {
  if (policy.pairing.intentRule === "complementary") {
    return [intentBucket(policy.id, entry.intent ?? "none")];
  }
  const buckets = tagsOf(entry).map((t) => topicBucket(policy.id, t));
  if (isOpen(policy, entry, now)) buckets.push(openBucket(policy));
  return buckets;
}

/**
 * Where a join looks, as groups in order of preference: a candidate from an earlier group wins
 * over any from a later one (same topic before anyone); within a group, the oldest wins.
 */
export function searchGroups(policy: SpacePolicy, entry: QueueEntry, now: number): string[][] {
  if (policy.pairing.intentRule === "complementary") {
    return [
      (policy.intents ?? [])
        .filter((intent) => intentsCompatible(entry.intent, intent))
        .map((intent) => intentBucket(policy.id, intent)),
    ];
  }
  const groups: string[][] = [];
  const tags = tagsOf(entry);
  if (tags.length > 0) groups.push(tags.map((t) => topicBucket(policy.id, t)));
  if (isOpen(policy, entry, now)) groups.push([openBucket(policy)]);
  return groups;
}

/**
 * Among the inspected entries of one group of buckets, the compatible entry that has waited
 * longest (lowest `seq`), or undefined. Deterministic: `seq` is unique.
 */
export function chooseCandidate(
  policy: SpacePolicy,
  me: QueueEntry,
  heads: readonly (readonly QueueEntry[])[],
  now: number,
): QueueEntry | undefined {
  let best: QueueEntry | undefined;
  for (const bucket of heads) {
    for (const candidate of bucket) {
      if (!compatible(policy, me, candidate, now)) continue;
      if (best === undefined || candidate.seq < best.seq) best = candidate;
      break; // later entries of this bucket waited less: the first compatible one is its best
    }
  }
  return best;
}

/** Refuses policies this matcher cannot serve, with the reason. */
export function validatePolicy(policy: SpacePolicy): void {
  if (policy.pairing.topics && policy.pairing.intentRule === "complementary") {
    throw new Error(`space ${policy.id}: a space has either intents or topics, not both`);
  }
  if (policy.pairing.intentRule === "complementary" && !policy.intents?.length) {
    throw new Error(`space ${policy.id}: complementary pairing needs intents`);
  }
}
