/**
 * The profanity corpus: every phrase here must come out exactly as stated. Positives are masked
 * (the listed word gone, the rest intact); negatives — including words that contain a listed term,
 * the "Scunthorpe problem" — come out unchanged.
 */
import { describe, expect, it } from "vitest";
import { maskProfanity } from "../src/profanity";

/** [input, a fragment that must NOT survive] */
const POSITIVE: Array<[string, string]> = [
  ["fuck this", "fuck"],
  ["what the fuck", "fuck"],
  ["FUCK", "FUCK"],
  ["fucking great", "fuck"],
  ["motherfucker", "fucker"],
  ["fuuuuuck", "fuuuuuck"],
  ["f u c k", "f u c k"],
  ["f.u.c.k off", "f.u.c.k"],
  ["fvck you", "fvck"],
  ["fück", "fück"],
  ["this is shit", "shit"],
  ["sh1t happens", "sh1t"],
  ["s h i t", "s h i t"],
  ["shiiiit", "shiiiit"],
  ["bullshit", "shit"],
  ["you bitch", "bitch"],
  ["b1tch", "b1tch"],
  ["biiitch", "biiitch"],
  ["b i t c h", "b i t c h"],
  ["asshole", "asshole"],
  ["a s s h o l e", "a s s h o l e"],
  ["@sshole", "@sshole"],
  ["cunt", "cunt"],
  ["c u n t", "c u n t"],
  ["dickhead", "dickhead"],
  ["wanker", "wanker"],
  ["bastard", "bastard"],
  ["what a twat", "twat"],
  ["cocksucker", "cocksucker"],
  ["piece of sh!t", "sh!t"],
  ["pu55y", "pu55y"],
  ["f*ck", "f*ck"],
];

const NEGATIVE = [
  "I live near Scunthorpe",
  "Penistone is a market town",
  "shiitake mushrooms for dinner",
  "the cockpit of the plane",
  "a cocktail after work",
  "our pussycat is asleep",
  "she graduated cum laude",
  "I'm reading Moby Dick",
  "Charles Dickens wrote it",
  "Dick Van Dyke was in Mary Poppins",
  "the assassin's creed game",
  "Arsenal won on Sunday",
  "my therapist said to rest",
  "a careful analysis of the data",
  "I grew up in Sussex",
  "Essex and Middlesex",
  "a titmouse at the feeder",
  "the bassist was late",
  "cumulative fatigue",
  "the grass is greener",
  "push the button",
  "a peacock in the garden",
  "Hitchcock films are tense",
  "kumquat jam",
  "circumstances changed",
  "document the steps",
  "a raccoon in the bins",
  "that's a small niggle",
  "the class was hard",
  "hello, how are you tonight?",
  "I can't sleep, the adderall kicked in",
  "what a hell of a night",
  "I'm so tired of this",
  "a s a p please",
  "u r right",
  "I am OK",
];

describe("profanity masking", () => {
  it("has a corpus of at least 60 phrases", () => {
    expect(POSITIVE.length + NEGATIVE.length).toBeGreaterThanOrEqual(60);
  });

  it.each(POSITIVE)("masks %j", (input, bad) => {
    const out = maskProfanity(input);
    expect(out).not.toContain(bad);
    expect(out).toMatch(/\*/);
    expect(out.length).toBe(input.length);
  });

  it.each(NEGATIVE)("leaves %j alone", (input) => {
    expect(maskProfanity(input)).toBe(input);
  });

  it("keeps the innocent rest of a sentence", () => {
    expect(maskProfanity("oh fuck, I spilled my cocktail")).toBe("oh ****, I spilled my cocktail");
  });
});
