import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Fifo } from "../src/fifo";

type E = { userId: string; n: number };

describe("Fifo", () => {
  it("behaves like an array queue under any mix of push, replace, delete and first(k)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), id: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant("delete" as const), id: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant("first" as const), k: fc.integer({ min: 0, max: 8 }) }),
      fc.record({ kind: fc.constant("replace" as const), id: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const fifo = new Fifo<E>();
        let model: E[] = [];
        let n = 0;
        for (const o of ops) {
          if (o.kind === "push") {
            const e = { userId: `u${o.id}`, n: n++ };
            model = [...model.filter((m) => m.userId !== e.userId), e];
            fifo.push(e);
          } else if (o.kind === "delete") {
            const had = model.some((m) => m.userId === `u${o.id}`);
            model = model.filter((m) => m.userId !== `u${o.id}`);
            expect(fifo.delete(`u${o.id}`)).toBe(had);
          } else if (o.kind === "replace") {
            // A new entry for the same user takes the old one's place, not the tail.
            const e = { userId: `u${o.id}`, n: n++ };
            const at = model.findIndex((m) => m.userId === e.userId);
            if (at >= 0) model = model.map((m, i) => (i === at ? e : m));
            expect(fifo.replace(e)).toBe(at >= 0);
          } else {
            expect(fifo.first(o.k)).toEqual(model.slice(0, o.k));
          }
          expect(fifo.size).toBe(model.length);
        }
        expect(fifo.values()).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });

  it("stays correct across compactions of a long queue", () => {
    const fifo = new Fifo<E>();
    for (let i = 0; i < 1000; i++) fifo.push({ userId: `u${i}`, n: i });
    for (let i = 0; i < 900; i++) fifo.delete(`u${i}`);
    expect(fifo.first(3).map((e) => e.n)).toEqual([900, 901, 902]);
    expect(fifo.size).toBe(100);
  });
});
