/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --profile`
 * which profiles every Duet server child into bench/results/profiles/).
 *
 *   node --import tsx bench/load/profile-summary.ts FILE.cpuprofile [--top 25] [--windows 200]
 *   node --import tsx bench/load/profile-summary.ts FILE.heapprofile [--top 25]
 *   node --import tsx bench/load/profile-summary.ts FILE.cpuprofile --lines [--top 40]
 *
 * Prints self time by function (name, file:line) and by package/file area, as % of all samples.
 * "(idle)", "(program)" and "(garbage collector)" are V8's own buckets. `--windows MS` prints,
 * per MS of the profile, how busy the main thread was and its top three functions: where the
 * stalls are. A `.heapprofile` (BENCH_HEAP=all|survivors with --profile) is summarized as bytes
 * allocated by function instead.
 *
 * Lines: under tsx every function of a TypeScript file reports line 1. For line numbers, profile
 * an esbuild bundle of server-child.ts instead (BENCHMARKS.md, "How to run"). `--lines` then
 * prints self time by source line of the bundle (V8's position ticks: builtins a line calls, such
 * as Map lookups, Object.assign or an async function's promise, count for that line) and by the
 * TypeScript module each line came from (esbuild's `// path/file.ts` markers). The bundle is read
 * as it is now: rebuild it after the profile and the lines no longer match.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  positionTicks?: { line: number; ticks: number }[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  ms: number;
  pct: number;
}

/** Shortens a file URL to its package (node_modules/x) or its path inside the repository. */
function area(url: string): string {
  if (!url) return "(native/V8)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return `npm:${rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith("node:")) return url;
  const m = url.match(/\/(apps|packages|bench)\/.*$/);
  return m ? m[0].slice(1) : url;
}

type CallFrame = ProfileNode["callFrame"];

/** "name area:line" for a call frame (line 1-based). */
function frameKey(cf: CallFrame): string {
  const where = cf.url ? `${area(cf.url)}:${cf.lineNumber + 1}` : "";
  return `${cf.functionName || "(anonymous)"} ${where}`.trim();
}

export function summarize(
  profile: Profile,
  top = 25,
): { functions: Row[]; areas: Row[]; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  });
  const fn = new Map<string, number>();
  const ar = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)?.callFrame;
    if (!cf) continue;
    const key = frameKey(cf);
    fn.set(key, (fn.get(key) ?? 0) + us);
    const a = cf.url
      ? area(cf.url).replace(/^(apps\/[^/]+|packages\/[^/]+|bench)\/.*$/, "$1")
      : cf.functionName;
    ar.set(a, (ar.get(a) ?? 0) + us);
  }
  const rows = (m: Map<string, number>): Row[] =>
    [...m.entries()]
      .map(([name, us]) => ({ name, ms: us / 1000, pct: (us / Math.max(1, total)) * 100 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return { functions: rows(fn), areas: rows(ar), totalMs: total / 1000 };
}

/** Busy share and top functions per window of `windowMs`. */
export function windows(profile: Profile, windowMs: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out: string[] = [];
  let t = 0;
  let current = -1;
  let total = 0;
  let idle = 0;
  let fns = new Map<string, number>();
  const flush = (): void => {
    if (current < 0 || total === 0) return;
    const top = [...fns.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, us]) => `${k} ${((us / total) * 100).toFixed(0)}%`)
      .join(", ");
    const busy = ((1 - idle / total) * 100).toFixed(0).padStart(3);
    out.push(`${String(current * windowMs).padStart(7)} ms ${busy}% busy  ${top}`);
  };
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    const w = Math.floor(t / 1000 / windowMs);
    if (w !== current) {
      flush();
      current = w;
      total = 0;
      idle = 0;
      fns = new Map();
    }
    total += dt;
    const cf = byId.get(id)?.callFrame;
    if (!cf || cf.functionName === "(idle)") {
      idle += dt;
      return;
    }
    const key = frameKey(cf);
    fns.set(key, (fns.get(key) ?? 0) + dt);
  });
  flush();
  return out;
}

/**
 * Self time of the profile's bundled code by line and by the module the line came from, as
 * shares of all position ticks (idle included, like the other tables).
 */
export function lineSummary(
  profile: Profile,
  readSource: (url: string) => string | undefined,
  top: number,
): { lines: Row[]; modules: Row[] } {
  const sources = new Map<string, { text: string[]; modules: [number, string][] } | undefined>();
  const sourceOf = (url: string) => {
    if (!sources.has(url)) {
      const text = readSource(url)?.split("\n");
      const modules: [number, string][] = [];
      text?.forEach((l, i) => {
        const m = /^\/\/ ((?:apps|packages|bench)\/\S+\.ts)$/.exec(l);
        if (m?.[1]) modules.push([i + 1, m[1]]);
      });
      sources.set(url, text && modules.length > 0 ? { text, modules } : undefined);
    }
    return sources.get(url);
  };
  const byLine = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    for (const { line, ticks } of node.positionTicks ?? []) {
      total += ticks;
      const src = sourceOf(node.callFrame.url);
      if (!src) continue;
      let module = "?";
      for (const [start, name] of src.modules) {
        if (start > line) break;
        module = name;
      }
      const text = (src.text[line - 1] ?? "").trim().slice(0, 90);
      const key = `${module.replace(/^.*\//, "")}:${line}  ${text}`;
      byLine.set(key, (byLine.get(key) ?? 0) + ticks);
      byModule.set(module, (byModule.get(module) ?? 0) + ticks);
    }
  }
  const rows = (m: Map<string, number>, n: number): Row[] =>
    [...m.entries()]
      .map(([name, t]) => ({ name, ms: t, pct: (t / Math.max(1, total)) * 100 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, n);
  return { lines: rows(byLine, top), modules: rows(byModule, Number.POSITIVE_INFINITY) };
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/** Bytes allocated (sampled) by function, from a sampling heap profile. */
export function heapSummary(head: HeapNode, top: number): { rows: Row[]; totalMb: number } {
  const by = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode): void => {
    if (n.selfSize > 0) {
      const key = frameKey(n.callFrame);
      by.set(key, (by.get(key) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) walk(c);
  };
  walk(head);
  const rows = [...by.entries()]
    .map(([name, bytes]) => ({ name, ms: bytes / 1e6, pct: (bytes / Math.max(1, total)) * 100 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
  return { rows, totalMb: total / 1e6 };
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith("--"));
  if (!file) throw new Error("usage: profile-summary.ts FILE.cpuprofile [--top N]");
  const topIdx = args.indexOf("--top");
  const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 25;
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Profile & { head?: HeapNode };
  if (parsed.head) {
    const h = heapSummary(parsed.head, top);
    process.stdout.write(`${file}: ${h.totalMb.toFixed(1)} MB sampled\n\nallocated by function:\n`);
    process.stdout.write(
      `${h.rows.map((r) => `${r.pct.toFixed(1).padStart(5)} %  ${r.ms.toFixed(1).padStart(7)} MB  ${r.name}`).join("\n")}\n`,
    );
    return;
  }
  if (args.includes("--lines")) {
    const read = (url: string): string | undefined => {
      if (!/\.(c|m)?js$/.test(url)) return undefined;
      try {
        return readFileSync(url.startsWith("file:") ? new URL(url) : url, "utf8");
      } catch {
        return undefined;
      }
    };
    const l = lineSummary(parsed, read, top);
    const row = (r: Row): string => `${r.pct.toFixed(2).padStart(6)} %  ${r.name}`;
    process.stdout.write(`self time by bundled line (share of all ticks):\n`);
    process.stdout.write(`${l.lines.map(row).join("\n")}\n\nby module:\n`);
    process.stdout.write(`${l.modules.map(row).join("\n")}\n`);
    return;
  }
  const winIdx = args.indexOf("--windows");
  if (winIdx >= 0) {
    process.stdout.write(`${windows(parsed, Number(args[winIdx + 1]) || 200).join("\n")}\n`);
    return;
  }
  const s = summarize(parsed, top);
  const line = (r: Row): string =>
    `${r.pct.toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`;
  process.stdout.write(`${file}: ${s.totalMs.toFixed(0)} ms sampled\n\nself time by function:\n`);
  process.stdout.write(`${s.functions.map(line).join("\n")}\n\nself time by area:\n`);
  process.stdout.write(`${s.areas.map(line).join("\n")}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
