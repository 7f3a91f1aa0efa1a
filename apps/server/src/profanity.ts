/**
 * Profanity masking for spaces whose policy asks for it (stimchat), on the server, before a
 * message is relayed. Built on `obscenity` (a maintained matcher: leet-speak, confusable Unicode,
 * repeated letters) with two additions of ours:
 *
 * 1. Spaced and dotted letters ("f u c k", "s.h.i.t"): runs of single letters separated by one
 *    space or punctuation mark are joined before matching, and matches are mapped back onto the
 *    original characters, which are then masked.
 * 2. Innocent words that contain a listed term (the "Scunthorpe problem"): a whitelist of real
 *    words and names, on top of obscenity's own.
 *
 * Limits: English only; a determined person can always get a word past a filter. The test corpus
 * (test/profanity.test.ts) pins what is caught and what is left alone.
 */
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from "obscenity";

/** Real words and names that contain a listed term; never masked. Lower case. */
const INNOCENT = [
  "shiitake",
  "shitake",
  "penistone",
  "cockpit",
  "cocktail",
  "cockatoo",
  "cockroach",
  "peacock",
  "hancock",
  "hitchcock",
  "woodcock",
  "pussycat",
  "pussy willow",
  "cum laude",
  "magna cum laude",
  "summa cum laude",
  "dickens",
  "moby dick",
  "dick van dyke",
  "scunthorpe",
  "titmouse",
  "arsenal",
  "assassin",
  "bassist",
  "sussex",
  "essex",
  "middlesex",
  "therapist",
  "analysis",
  "cumulative",
  "document",
  "circumstance",
  "kumquat",
  "hoe down",
  "spices",
  "raccoon",
  "niggle",
  "snigger",
];

const matcher = new RegExpMatcher({
  ...englishDataset.build(),
  ...englishRecommendedTransformers,
  whitelistedTerms: INNOCENT,
});

/**
 * Joins runs of single letters separated by single separators ("f u c k" → "fuck"), returning the
 * joined text and, for each of its characters, the index of the original character.
 */
function joinSpacedLetters(text: string): { joined: string; origin: number[] } {
  const chars = [...text];
  const origin: number[] = [];
  let joined = "";
  let offset = 0;
  const offsets = chars.map((c) => {
    const at = offset;
    offset += c.length;
    return at;
  });
  const isLetter = (c: string | undefined): boolean => c !== undefined && /\p{L}|\d/u.test(c);
  const isSep = (c: string | undefined): boolean => c !== undefined && /[\s.\-_*·,]/u.test(c);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    // A separator between two single letters ("x y") is dropped when both neighbours are lone
    // letters, i.e. not part of a longer word.
    if (
      isSep(c) &&
      isLetter(chars[i - 1]) &&
      isLetter(chars[i + 1]) &&
      !isLetter(chars[i - 2]) &&
      !isLetter(chars[i + 2])
    ) {
      continue;
    }
    joined += c;
    for (let k = 0; k < c.length; k++) origin.push((offsets[i] as number) + k);
  }
  return { joined, origin };
}

/** The text with every profane word's letters replaced by asterisks (same length). */
export function maskProfanity(text: string): string {
  const { joined, origin } = joinSpacedLetters(text);
  // Unit indexes of `text` to mask: direct matches, then matches of the letter-joined text.
  const hits = new Set<number>();
  for (const m of matcher.getAllMatches(text, true)) {
    for (let i = m.startIndex; i <= m.endIndex; i++) hits.add(i);
  }
  if (joined.length !== text.length) {
    for (const m of matcher.getAllMatches(joined, true)) {
      for (let i = m.startIndex; i <= m.endIndex; i++) {
        const unit = origin[i];
        if (unit !== undefined) hits.add(unit);
      }
    }
  }
  if (hits.size === 0) return text;
  let out = "";
  let unit = 0;
  for (const c of text) {
    // Separators inside a spaced-out word stay, so "f u c k" reads "* * * *".
    out += hits.has(unit) && !/[\s.,\-_·]/u.test(c) ? "*".repeat(c.length) : c;
    unit += c.length;
  }
  return out;
}
