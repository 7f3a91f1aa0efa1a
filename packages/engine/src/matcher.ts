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
 * - trust tiers (spaces with tiers): every bucket above exists once per tier. A joiner looks in its
 *   own tier's buckets first, then in the other tier it may meet (restricted: none).
 * The "few" entries per bucket cover members that are compatible by class but not by pair: the
 * joiner's own other tabs, pairs in cooldown, people blocked after a report — a handful at most.
 * Limit: if more than PEEK_PER_BUCKET heads of a bucket are all incompatible by pair with the
 * joiner, a compatible entry behind them is not seen by this join; it is found when it joins or
 * retries itself (its own look starts from the heads too), so nobody waits forever, but a joiner
 * blocked by very many people may wait longer than strict fairness would give.
 *
 * Limits: a space has either intents or topics, not both (`validatePolicy` enforces it).
 */
import type { SpacePolicy } from "./policy";
import { intentsCompatible } from "./policy";
import { type Tier, tiersCompatible, tiersFor } from "./trust";
import { personOf, type QueueEntry } from "./types";

/** How many entries per bucket a match attempt inspects. */
export const PEEK_PER_BUCKET = 8;

const tagsOf = (e: QueueEntry): readonly string[] => e.topics ?? [];

/** True when `a` must not meet `b` at `now`: a cooldown, or a report between them. */
function avoids(a: QueueEntry, b: QueueEntry, now: number): boolean {
  const them = personOf(b);
  if (a.blocked?.includes(them)) return true;
  return (a.avoid ?? []).some((x) => x.person === them && (x.until === null || x.until > now));
}

const tierOfEntry = (e: Pick<QueueEntry, "tier">): Tier => e.tier ?? "new";

/** Tags both chose, in the first one's order. */
export function sharedTopics(
  a: Pick<QueueEntry, "topics">,
  b: Pick<QueueEntry, "topics">,
): string[] {
  const theirs = new Set(b.topics ?? []);
  return (a.topics ?? []).filter((t) => theirs.has(t));
}

/**
 * Whether `e` accepts a partner with no shared tag at `now`: it has no tags, or it did not ask
 * for its topics only and either its preference window has passed or it was opened early.
 */
export function isOpen(policy: SpacePolicy, e: QueueEntry, now: number): boolean {
  const topics = policy.pairing.topics;
  if (!topics || tagsOf(e).length === 0) return true;
  return !e.onlyMine && (e.open === true || now - e.since >= topics.preferSameForMs);
}

/**
 * How long until the topic search `e` takes anyone, for the person's screen: undefined when it
 * already does (no tags, opened, window passed) or never will (`onlyMine`).
 */
export function anyoneIn(policy: SpacePolicy, e: QueueEntry, now: number): number | undefined {
  const topics = policy.pairing.topics;
  if (!topics || tagsOf(e).length === 0 || e.onlyMine || e.open) return undefined;
  const left = e.since + topics.preferSameForMs - now;
  return left > 0 ? left : undefined;
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
  if (policy.pairing.trustTiers && !tiersCompatible(tierOfEntry(a), tierOfEntry(b))) return false;
  if (policy.pairing.topics) {
    return sharedTopics(a, b).length > 0 || (isOpen(policy, a, now) && isOpen(policy, b, now));
  }
  return true;
}

/** Bucket names start with the space, and with the tier in spaces with trust tiers. */
function prefix(policy: SpacePolicy, tier: Tier): string {
  return policy.pairing.trustTiers ? `${policy.id}:tier:${tier}` : policy.id;
}

/**
 * The bucket of the people (of the entry's tier) in a space who accept anyone (topic spaces) or
 * of everyone.
 */
export function openBucket(policy: SpacePolicy, entry: Pick<QueueEntry, "tier">): string {
  return `${prefix(policy, tierOfEntry(entry))}:open`;
}

const intentBucket = (p: string, intent: string): string => `${p}:intent:${intent}`;
const topicBucket = (p: string, topic: string): string => `${p}:topic:${topic}`;

/** The buckets an entry waits in when its search starts. */
export function bucketsFor(policy: SpacePolicy, entry: QueueEntry, now: number): string[] {
  const p = prefix(policy, tierOfEntry(entry));
  if (policy.pairing.intentRule === "complementary") {
    return [intentBucket(p, entry.intent ?? "none")];
  }
  const buckets = tagsOf(entry).map((t) => topicBucket(p, t));
  if (isOpen(policy, entry, now)) buckets.push(`${p}:open`);
  return buckets;
}

/**
 * Where a join looks, as groups in order of preference: a candidate from an earlier group wins
 * over any from a later one (own tier before the other; same topic before anyone); within a
 * group, the oldest wins.
 */
export function searchGroups(policy: SpacePolicy, entry: QueueEntry, now: number): string[][] {
  const tiers = policy.pairing.trustTiers ? tiersFor(tierOfEntry(entry)) : (["new"] as const);
  const groups: string[][] = [];
  for (const tier of tiers) {
    const p = prefix(policy, tier);
    if (policy.pairing.intentRule === "complementary") {
      groups.push(
        (policy.intents ?? [])
          .filter((intent) => intentsCompatible(entry.intent, intent))
          .map((intent) => intentBucket(p, intent)),
      );
      continue;
    }
    const tags = tagsOf(entry);
    if (tags.length > 0) groups.push(tags.map((t) => topicBucket(p, t)));
    if (isOpen(policy, entry, now)) groups.push([`${p}:open`]);
  }
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
  spread = 0,
): QueueEntry | undefined {
  if (spread > 0) return spreadCandidate(policy, me, heads, now, spread);
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

/**
 * A retry's pick after a lost race (engine.match, attempt > 0). When many searches look at the
 * same heads at once (a burst of joins), they all pick the oldest compatible entry: one wins, the
 * rest retry and pick the next oldest together again, so a burst of n joins costs about n²/2
 * attempts — with a remote store (Redis) hundreds of round trips per match, and joins that wait
 * seconds. So a retry takes, among every compatible entry it sees (oldest first), the one at
 * `spread` (wrapping): searches with different `spread`s (engine: their own seq plus the attempt)
 * pick different partners. The first attempt still takes the oldest: fairness is FIFO whenever
 * there is no race, and under one it stays among the first PEEK_PER_BUCKET of each bucket.
 */
function spreadCandidate(
  policy: SpacePolicy,
  me: QueueEntry,
  heads: readonly (readonly QueueEntry[])[],
  now: number,
  spread: number,
): QueueEntry | undefined {
  const seen = new Set<string>();
  const all: QueueEntry[] = [];
  for (const bucket of heads) {
    for (const candidate of bucket) {
      if (seen.has(candidate.userId) || !compatible(policy, me, candidate, now)) continue;
      seen.add(candidate.userId);
      all.push(candidate);
    }
  }
  if (all.length === 0) return undefined;
  all.sort((a, b) => a.seq - b.seq);
  return all[spread % all.length];
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
