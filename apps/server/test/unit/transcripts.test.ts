import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TranscriptBuffers } from "../../src/transcripts";

const bytes = (s: string): number => Buffer.byteLength(s, "utf8");

describe("TranscriptBuffers: report buffer bounds", () => {
  it("keeps lines in order and hands them over once", () => {
    const t = new TranscriptBuffers();
    const limits = { maxMessages: 10, maxBytes: 1000 };
    t.append("s1", limits, { from: "a", text: "hi", at: 1 });
    t.append("s1", limits, { from: "b", text: "hello", at: 2 });
    t.append("s2", limits, { from: "c", text: "other session", at: 3 });
    expect(t.take("s1").map((l) => l.text)).toEqual(["hi", "hello"]);
    expect(t.take("s1")).toEqual([]);
    expect(t.size().sessions).toBe(1);
  });

  it("drop forgets a session's lines (closed unreported)", () => {
    const t = new TranscriptBuffers();
    t.append("s1", { maxMessages: 5, maxBytes: 100 }, { from: "a", text: "secret", at: 1 });
    t.drop("s1");
    expect(t.take("s1")).toEqual([]);
    expect(t.size()).toEqual({ sessions: 0, bytes: 0 });
  });

  it("a line bigger than the byte budget is cut at a character boundary", () => {
    const t = new TranscriptBuffers();
    t.append("s", { maxMessages: 5, maxBytes: 7 }, { from: "a", text: "ééééé", at: 1 });
    const [line] = t.take("s");
    expect(line?.text).toBe("ééé");
  });

  it("property: never more than maxMessages lines or maxBytes bytes; always the newest suffix", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.string({ unit: "grapheme", maxLength: 60 }), { maxLength: 80 }),
        (maxMessages, maxBytes, texts) => {
          const t = new TranscriptBuffers();
          const limits = { maxMessages, maxBytes };
          texts.forEach((text, i) => {
            t.append("s", limits, { from: i % 2 ? "a" : "b", text, at: i });
            const held = t.size();
            expect(held.bytes).toBeLessThanOrEqual(maxBytes);
          });
          const lines = t.take("s");
          expect(lines.length).toBeLessThanOrEqual(maxMessages);
          expect(lines.reduce((n, l) => n + bytes(l.text), 0)).toBeLessThanOrEqual(maxBytes);
          // What is kept is the most recent lines, in order (each possibly cut only if alone too big).
          const ats = lines.map((l) => l.at);
          const expectedStart = texts.length - lines.length;
          expect(ats).toEqual(ats.map((_, i) => expectedStart + i));
          for (const l of lines) {
            const original = texts[l.at] as string;
            if (bytes(original) <= maxBytes) expect(l.text).toBe(original);
            else expect(original.startsWith(l.text)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
