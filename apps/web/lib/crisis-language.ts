/**
 * Words that suggest crisis or self-harm, recognised in the browser only (menti's care
 * signposting, components/CareSignpost.tsx). Nothing about a match leaves the device: it is not
 * sent, logged or counted, and it never blocks or changes a message. It only offers the help
 * panel, gently, to the person who wrote or read the words.
 *
 * Limits, on purpose: a short list of explicit first-person phrases, matched as whole words after
 * folding case, apostrophes and punctuation ("don't" = "dont", "kill  myself!" = "kill myself").
 * It does not try to read meaning: "this exam is killing me" or "I'd die for a coffee" must not
 * match (test/crisis-language.test.ts keeps a list of such everyday phrases), and a miss costs
 * little, since "I need help" is one tap away on every screen anyway. A false alarm costs a calm
 * line the person can close. Keep additions explicit and add a test for each, with the everyday
 * phrases it must not catch.
 */

/** Phrases in folded form (lowercase, no apostrophes, single spaces). */
export const CRISIS_PHRASES: readonly string[] = [
  // suicide
  "suicide",
  "suicidal",
  "kill myself",
  "killing myself",
  "end my life",
  "ending my life",
  "end it all",
  // Found by the browser test's first wording: the -ing form was missing.
  "ending it all",
  "take my own life",
  "taking my own life",
  "want to die",
  "wanna die",
  "want to be dead",
  "wish i was dead",
  "wish i were dead",
  "better off dead",
  "better off without me",
  "dont want to live",
  "dont want to be alive",
  "do not want to live",
  "no reason to live",
  "nothing to live for",
  "not want to wake up",
  "dont want to wake up",
  "dont want to be here anymore",
  "no way out",
  // self-harm
  "self harm",
  "selfharm",
  "self harming",
  "hurt myself",
  "hurting myself",
  "harm myself",
  "harming myself",
  "cut myself",
  "cutting myself",
  "overdose",
  "od on",
];

/** Lowercase, apostrophes dropped, every other non-letter/digit a single space, padded. */
export function fold(text: string): string {
  const folded = text
    .toLowerCase()
    .replace(/['’‘`]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
  return ` ${folded} `;
}

const FOLDED = CRISIS_PHRASES.map((phrase) => fold(phrase));

/** Whether `text` contains one of the phrases as whole words. */
export function mentionsCrisis(text: string): boolean {
  if (text.trim() === "") return false;
  const folded = fold(text);
  return FOLDED.some((phrase) => folded.includes(phrase));
}
