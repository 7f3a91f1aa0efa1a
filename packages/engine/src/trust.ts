/**
 * Trust tiers (SPEC §6), as pure rules. A token's score starts at 0 ("new"); an unreported
 * conversation that lasted long enough raises it a little, a report against it lowers it a lot.
 * The score lives in the database (the gateway reads it at each join and passes the tier); the
 * matcher only ever sees the tier.
 *
 * With the defaults: one report drops a new token to -10 (still "new": a single report can be
 * unfair), a second one to -20 ("restricted": matched only with other restricted tokens). Climbing
 * back from -20 to "new" takes six long unreported conversations. Five long conversations make a
 * new token "trusted"; the score is capped at 20 so trust cannot be banked against many reports.
 */
export const TIERS = ["restricted", "new", "trusted"] as const;
export type Tier = (typeof TIERS)[number];

export interface TrustRules {
  /** A score at or below this is "restricted". */
  readonly restrictedAtOrBelow: number;
  /** A score at or above this is "trusted". */
  readonly trustedFrom: number;
  /** Gained by each side of an unreported conversation that lasted long enough. */
  readonly longChatGain: number;
  /** Lost by the reported token, per report. */
  readonly reportPenalty: number;
  /** Bounds the score is clamped to. */
  readonly min: number;
  readonly max: number;
}

export const TRUST: TrustRules = {
  restrictedAtOrBelow: -15,
  trustedFrom: 5,
  longChatGain: 1,
  reportPenalty: 10,
  min: -50,
  max: 20,
};

export function tierOf(score: number, rules: TrustRules = TRUST): Tier {
  if (score <= rules.restrictedAtOrBelow) return "restricted";
  if (score >= rules.trustedFrom) return "trusted";
  return "new";
}

/**
 * The tiers a user of `tier` may be paired with, in order of preference: their own first (tiers
 * kept together where possible), then the other non-restricted tier. Restricted only with itself.
 */
export function tiersFor(tier: Tier): readonly Tier[] {
  switch (tier) {
    case "restricted":
      return ["restricted"];
    case "new":
      return ["new", "trusted"];
    case "trusted":
      return ["trusted", "new"];
  }
}

/** Symmetric: the lowest tier only with itself; the others with each other. */
export function tiersCompatible(a: Tier, b: Tier): boolean {
  return (a === "restricted") === (b === "restricted");
}
