/**
 * The committed migrations are what drizzle-kit generates from src/schema.ts: drizzle-kit is run
 * on a copy of `migrations/` and must find nothing to add. This also proves drizzle-kit works on
 * the one esbuild the root `overrides` gives it (package.json; docs/operations.md).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { migrationsFolder } from "../src/index";

const PACKAGE = resolve(import.meta.dirname, "..");
const DRIZZLE_KIT = resolve(PACKAGE, "../../node_modules/.bin/drizzle-kit");
const scratch = mkdtempSync(join(tmpdir(), "duet-migrations-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `drizzle-kit generate` into `out`; its output and the files it leaves there. */
function generate(out: string) {
  // drizzle-kit prefixes `--out` with "./" when it reads snapshots, so it must be relative.
  const run = spawnSync(
    DRIZZLE_KIT,
    [
      "generate",
      "--dialect",
      "postgresql",
      "--schema",
      "./src/schema.ts",
      "--out",
      relative(PACKAGE, out),
    ],
    { cwd: PACKAGE, encoding: "utf8", timeout: 120_000 },
  );
  return {
    status: run.status,
    output: `${run.stdout}${run.stderr}`,
    files: readdirSync(out).sort(),
  };
}

describe("migrations", () => {
  it("match src/schema.ts: drizzle-kit generates nothing new over them", () => {
    const copy = join(scratch, "copy");
    cpSync(migrationsFolder, copy, { recursive: true });
    const result = generate(copy);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain("No schema changes");
    expect(result.files).toEqual(readdirSync(migrationsFolder).sort());
  });

  it("would be caught missing: over an empty folder drizzle-kit writes a migration", () => {
    const empty = join(scratch, "empty");
    mkdirSync(empty);
    const result = generate(empty);
    expect(result.status, result.output).toBe(0);
    expect(result.output).not.toContain("No schema changes");
    expect(result.files.some((f) => f.endsWith(".sql"))).toBe(true);
  });
});
