/**
 * The browser bundle stays free of zod: the web client imports only types from `@duet/protocol`
 * (whose root module builds the schemas, and zod with them) and its values from the zod-free
 * `@duet/protocol/constants` and `@duet/protocol/crisis`. zod was about a sixth of every page's
 * JavaScript (docs/performance.md); a value import from the root would quietly bring it back.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE_DIRS = ["app", "components", "lib"];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx)$/.test(name)) out.push(full);
  }
  return out;
}

/** Every import statement's text (multi-line ones joined). */
function imports(source: string): string[] {
  return [...source.matchAll(/^import\s[^;]*?from\s+"[^"]+";/gms)].map((m) => m[0]);
}

describe("the web client's imports", () => {
  const files = SOURCE_DIRS.flatMap((d) => sourceFiles(path.join(WEB, d)));

  it("finds the client's source files", () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it("imports only types from @duet/protocol's root, and never zod", () => {
    const offending: string[] = [];
    for (const file of files) {
      for (const statement of imports(readFileSync(file, "utf8"))) {
        const from = /from\s+"([^"]+)"/.exec(statement)?.[1];
        if (from === "zod" || from?.startsWith("zod/")) offending.push(`${file}: ${statement}`);
        if (from === "@duet/protocol" && !/^import\s+type\s/.test(statement)) {
          offending.push(`${file}: ${statement}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it("the check itself catches a value import from the root", () => {
    const statement = 'import { LIMITS, type Intent } from "@duet/protocol";';
    expect(imports(statement)).toEqual([statement]);
    expect(/^import\s+type\s/.test(statement)).toBe(false);
  });
});
