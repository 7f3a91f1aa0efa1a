/**
 * scripts/compile-hints.mjs: the framework chunks get V8's compile hint after `next build`. On a
 * made-up build folder; e2e/headers.spec.ts checks the real build as served.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs build script without types
import { addCompileHints, COMPILE_HINT } from "../../../scripts/compile-hints.mjs";

type Result = { marked: string[]; already: string[]; problem?: string };
const run = addCompileHints as (dir: string) => Result;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeBuild(manifest: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), "duet-hints-"));
  dirs.push(dir);
  mkdirSync(path.join(dir, "static/chunks"), { recursive: true });
  writeFileSync(path.join(dir, "build-manifest.json"), JSON.stringify(manifest));
  return dir;
}
const read = (dir: string, file: string) => readFileSync(path.join(dir, file), "utf8");

describe("compile hints", () => {
  it("marks each root chunk once, leaves other chunks alone, keeps a source map aligned", () => {
    const dir = fakeBuild({
      rootMainFiles: ["static/chunks/a.js", "static/chunks/b.js", "static/chunks/a.css"],
    });
    writeFileSync(path.join(dir, "static/chunks/a.js"), "var a=1;\n//# sourceMappingURL=a.map");
    writeFileSync(path.join(dir, "static/chunks/a.map"), JSON.stringify({ mappings: "AAAA" }));
    writeFileSync(path.join(dir, "static/chunks/b.js"), "var b=2;");
    writeFileSync(path.join(dir, "static/chunks/page.js"), "var p=3;");

    expect(run(dir)).toEqual({ marked: ["static/chunks/a.js", "static/chunks/b.js"], already: [] });
    expect(read(dir, "static/chunks/a.js")).toBe(
      `${COMPILE_HINT}\nvar a=1;\n//# sourceMappingURL=a.map`,
    );
    expect(read(dir, "static/chunks/b.js")).toBe(`${COMPILE_HINT}\nvar b=2;`);
    expect(read(dir, "static/chunks/page.js")).toBe("var p=3;");
    expect(JSON.parse(read(dir, "static/chunks/a.map")).mappings).toBe(";AAAA");

    // A second run (a rebuilt server restarting, say) changes nothing.
    expect(run(dir)).toEqual({ marked: [], already: ["static/chunks/a.js", "static/chunks/b.js"] });
    expect(read(dir, "static/chunks/b.js")).toBe(`${COMPILE_HINT}\nvar b=2;`);
    expect(JSON.parse(read(dir, "static/chunks/a.map")).mappings).toBe(";AAAA");
  });

  it("says what is wrong, and changes nothing, when the manifest is missing or names nothing", () => {
    const missing = mkdtempSync(path.join(tmpdir(), "duet-hints-"));
    dirs.push(missing);
    expect(run(missing).problem).toMatch(/cannot read .*build-manifest\.json/);
    expect(run(fakeBuild({ pages: {} })).problem).toMatch(/lists no rootMainFiles/);
    expect(run(fakeBuild({ rootMainFiles: ["static/chunks/gone.js"] })).problem).toMatch(
      /gone\.js is missing/,
    );
  });
});
