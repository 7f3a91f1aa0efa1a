/**
 * After `next build`: marks the framework chunks every page loads (Next's build manifest,
 * `rootMainFiles`: React DOM, the router, the Turbopack runtime) with V8's explicit compile hint
 * `//# allFunctionsCalledOnLoad`, so Chromium compiles their functions while the file streams
 * in, on a background thread, instead of one by one on the main thread as they are first called.
 *
 * Why: the largest task at page load is those chunks' module instantiation, and most of it was
 * lazy compilation: about 430 ms of one main-thread task under Lighthouse's 4x CPU slowdown,
 * 150–220 ms with the hint (docs/performance.md). Almost everything in these chunks runs at load
 * anyway, so compiling all of it eagerly wastes little; our own page chunks are left alone (the
 * hint is meant for files whose functions are nearly all called). Browsers without the hint read
 * a comment.
 *
 * Limits: it edits the build's output, so it depends on Next's build-manifest.json keeping
 * `rootMainFiles`. When that is missing or names nothing it says so loudly on stderr and leaves the
 * build as it was (pages still work, they only start slower); the browser test
 * e2e/headers.spec.ts fails if a served page's framework chunks lack the hint. A chunk's source
 * map, if the build made one, gets one empty line in front to stay aligned.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const COMPILE_HINT = "//# allFunctionsCalledOnLoad";

/**
 * Adds the hint to the root chunks of the build in `nextDir` (apps/web/.next). Idempotent.
 * Returns what it did, or `problem` (one line) when it could not.
 * @param {string} nextDir
 * @returns {{ marked: string[], already: string[], problem?: string }}
 */
export function addCompileHints(nextDir) {
  const manifestPath = path.join(nextDir, "build-manifest.json");
  /** @type {{ rootMainFiles?: unknown }} */
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch (err) {
    return { marked: [], already: [], problem: `cannot read ${manifestPath}: ${String(err)}` };
  }
  const files = Array.isArray(manifest.rootMainFiles)
    ? manifest.rootMainFiles.filter((f) => typeof f === "string" && f.endsWith(".js"))
    : [];
  if (files.length === 0) {
    return { marked: [], already: [], problem: `${manifestPath} lists no rootMainFiles` };
  }
  const marked = [];
  const already = [];
  for (const file of files) {
    const full = path.join(nextDir, file);
    if (!existsSync(full)) return { marked, already, problem: `${full} is missing` };
    const body = readFileSync(full, "utf8");
    if (body.startsWith(`${COMPILE_HINT}\n`)) {
      already.push(file);
      continue;
    }
    writeFileSync(full, `${COMPILE_HINT}\n${body}`);
    shiftSourceMap(full, body);
    marked.push(file);
  }
  return { marked, already };
}

/** One generated line more at the top: a source map's mappings start with one empty line. */
function shiftSourceMap(chunkPath, body) {
  const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(body)?.[1];
  if (ref === undefined || ref.includes(":")) return;
  const mapPath = path.join(path.dirname(chunkPath), ref);
  if (!existsSync(mapPath)) return;
  const map = JSON.parse(readFileSync(mapPath, "utf8"));
  if (typeof map.mappings !== "string") return;
  map.mappings = `;${map.mappings}`;
  writeFileSync(mapPath, JSON.stringify(map));
}

/** Runs on `node scripts/compile-hints.mjs [apps/web/.next]`; prints one line either way. */
export function runCompileHints(nextDir) {
  const result = addCompileHints(nextDir);
  if (result.problem !== undefined) {
    console.error(
      `compile hints: NOT ADDED (${result.problem}). Pages work but start slower; see scripts/compile-hints.mjs.`,
    );
    return result;
  }
  console.log(
    `compile hints: ${result.marked.length} framework chunk(s) marked` +
      (result.already.length > 0 ? `, ${result.already.length} already marked` : ""),
  );
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  runCompileHints(path.resolve(process.argv[2] ?? "apps/web/.next"));
}
