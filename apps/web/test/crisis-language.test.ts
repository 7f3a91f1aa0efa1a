/**
 * The browser-only crisis-language check (apps/web/lib/crisis-language.ts): what it must catch,
 * and everyday phrases it must leave alone.
 */
import { describe, expect, it } from "vitest";
import { CRISIS_PHRASES, fold, mentionsCrisis } from "../lib/crisis-language";

describe("crisis language", () => {
  it("catches explicit mentions, whatever the case, apostrophes and punctuation", () => {
    for (const text of [
      "I want to kill myself",
      "honestly i just want to die",
      "I don’t want to live anymore",
      "I DONT WANT TO BE ALIVE",
      "thinking about suicide again",
      "I've been feeling suicidal",
      "everyone would be better off without me.",
      "I keep hurting myself when it gets bad",
      "I self-harm sometimes",
      "i cut myself last night",
      "I'm going to end it all",
      "sometimes I think about ending it all",
      "there's no reason to live",
      "Kill   myself!!",
      "I took an overdose once",
    ]) {
      expect(mentionsCrisis(text), text).toBe(true);
    }
  });

  it("leaves everyday phrases alone", () => {
    for (const text of [
      "this exam is killing me",
      "I could kill for a coffee",
      "I'm dead tired",
      "that cake was to die for",
      "I'm dying to see that film",
      "you're killing it at work",
      "I cut my hair short",
      "I hurt my knee running",
      "my phone died",
      "I'd die of embarrassment",
      "the plot was a bit overdone",
      "this wifi is the worst, I want to scream",
      "killing time before class",
      "harmless fun",
      "method acting",
      "my code is self-documenting",
      "",
      "   ",
    ]) {
      expect(mentionsCrisis(text), text).toBe(false);
    }
  });

  it("matches whole words only", () => {
    expect(mentionsCrisis("overdosed")).toBe(false);
    expect(mentionsCrisis("suicides")).toBe(false);
    expect(mentionsCrisis("suicide")).toBe(true);
  });

  it("every listed phrase is already folded and matches itself", () => {
    for (const phrase of CRISIS_PHRASES) {
      expect(fold(phrase).trim()).toBe(phrase);
      expect(mentionsCrisis(phrase), phrase).toBe(true);
    }
  });
});
