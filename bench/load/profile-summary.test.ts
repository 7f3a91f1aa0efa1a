/**
 * The profile summary's line view, on a hand-made profile and bundle: ticks land on the line and
 * the module that esbuild's markers say it came from; code without markers is counted in the
 * total only.
 */
import { describe, expect, it } from "vitest";
import { lineSummary } from "./profile-summary";

const BUNDLE = [
  "// packages/engine/src/engine.ts", // 1
  "function join() {", // 2
  "  return store.getUser(id);", // 3
  "}", // 4
  "// apps/server/src/gateway.ts", // 5
  "const toUser = (id) => conns.get(id);", // 6
].join("\n");

const node = (id: number, url: string, ticks: { line: number; ticks: number }[]) => ({
  id,
  callFrame: { functionName: "f", url, lineNumber: 0 },
  positionTicks: ticks,
});

describe("profile-summary --lines", () => {
  it("attributes ticks to bundled lines and their modules", () => {
    const profile = {
      nodes: [
        node(1, "file:///x/bundle.cjs", [
          { line: 3, ticks: 6 },
          { line: 6, ticks: 2 },
        ]),
        node(2, "file:///x/bundle.cjs", [{ line: 3, ticks: 2 }]),
        node(3, "node:events", [{ line: 10, ticks: 10 }]),
      ],
      samples: [],
      timeDeltas: [],
    };
    const read = (url: string) => (url.endsWith("bundle.cjs") ? BUNDLE : undefined);
    const { lines, modules } = lineSummary(profile, read, 10);
    expect(lines.map((r) => [r.name, r.pct])).toEqual([
      ["engine.ts:3  return store.getUser(id);", 40],
      ["gateway.ts:6  const toUser = (id) => conns.get(id);", 10],
    ]);
    expect(modules.map((r) => [r.name, r.pct])).toEqual([
      ["packages/engine/src/engine.ts", 40],
      ["apps/server/src/gateway.ts", 10],
    ]);
  });
});
