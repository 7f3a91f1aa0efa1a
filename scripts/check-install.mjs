#!/usr/bin/env node
/**
 * The install check, first step of `npm test`: fails when a reproducible install would fail or
 * warn, before anything slower runs.
 *
 *   1. `npm ci --dry-run` succeeds: package-lock.json agrees with every package.json (npm ci, which
 *      CI, Docker and careful operators run, refuses a lockfile that has drifted).
 *   2. Every locked package's `engines.node` admits every Node version our own `engines` allow
 *      (semver subset), so an install on any supported Node prints no EBADENGINE warning. This is
 *      judged from the lockfile, not from the Node running the check, so it holds on every machine.
 *   3. README ("Needs Node.js N"), package.json `engines` and `.nvmrc` name the same major line.
 *   4. Each package listed in SINGLE_VERSION is installed at one version only (see the overrides
 *      in package.json for why each is forced).
 *
 * Exits 1 with one line per problem; prints "install check: ok" otherwise.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import semver from "semver";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Packages that must resolve to exactly one version across the tree. */
export const SINGLE_VERSION = ["esbuild"];

/** The package name of a lockfile key ("node_modules/a/node_modules/@b/c" → "@b/c"). */
function nameOf(key) {
  const at = key.lastIndexOf("node_modules/");
  return at < 0 ? key : key.slice(at + "node_modules/".length);
}

/**
 * Problems found in a parsed package-lock.json (v2/v3) for the project's Node range `ourRange`.
 * Pure: takes the data, returns strings.
 */
export function lockProblems(lock, ourRange) {
  const problems = [];
  if (!semver.validRange(ourRange))
    return [`package.json engines.node "${ourRange}" is not a range`];
  const versions = new Map();
  for (const [key, entry] of Object.entries(lock?.packages ?? {})) {
    if (key === "" || !key.includes("node_modules/") || entry.link) continue;
    const name = entry.name ?? nameOf(key);
    const wanted = entry.engines?.node;
    // A platform binary for another OS is never installed here; its engines still count, since a
    // supported Node on that OS would install it.
    if (typeof wanted === "string" && !semver.subset(ourRange, wanted)) {
      problems.push(
        `${name}@${entry.version} needs node ${wanted}, which does not cover our ${ourRange}`,
      );
    }
    if (SINGLE_VERSION.includes(name)) {
      versions.set(name, [...(versions.get(name) ?? []), `${entry.version} (${key})`]);
    }
  }
  for (const [name, found] of versions) {
    if (found.length > 1)
      problems.push(`${name} is installed ${found.length} times: ${found.join(", ")}`);
  }
  return problems;
}

/** Problems with the Node line named in README, package.json engines and .nvmrc. */
export function nodeLineProblems({ readme, ourRange, nvmrc }) {
  const problems = [];
  const readmeMajor = /Needs Node\.js (\d+)/.exec(readme)?.[1];
  const nvmMajor = /^v?(\d+)/.exec(nvmrc.trim())?.[1];
  const minMajor = semver.minVersion(ourRange)?.major;
  if (!readmeMajor) problems.push('README does not say "Needs Node.js N"');
  if (!nvmMajor) problems.push(".nvmrc does not name a Node version");
  if (minMajor === undefined) problems.push(`engines.node "${ourRange}" has no lowest version`);
  const named = new Set([readmeMajor, nvmMajor, String(minMajor)]);
  if (named.size > 1) {
    problems.push(
      `README says Node ${readmeMajor}, .nvmrc ${nvmMajor}, engines "${ourRange}": name one line`,
    );
  }
  // One line: every version the range admits has the same major.
  if (minMajor !== undefined && !semver.subset(ourRange, `>=${minMajor} <${minMajor + 1}`)) {
    problems.push(`engines.node "${ourRange}" spans more than one major line`);
  }
  return problems;
}

function main() {
  const read = (file) => readFileSync(path.join(ROOT, file), "utf8");
  const pkg = JSON.parse(read("package.json"));
  const ourRange = pkg.engines?.node ?? "";
  const problems = [
    ...nodeLineProblems({ readme: read("README.md"), ourRange, nvmrc: read(".nvmrc") }),
    ...lockProblems(JSON.parse(read("package-lock.json")), ourRange),
  ];
  // --ignore-scripts: a dry run installs nothing, and nothing should run on its behalf.
  const ci = spawnSync(
    "npm",
    ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
    { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 },
  );
  if (ci.status !== 0) {
    const why = `${ci.stderr ?? ""}`.split("\n").find((l) => l.includes("npm error")) ?? ci.error;
    problems.push(`npm ci --dry-run failed (exit ${ci.status}): ${why ?? "no message"}`);
  }
  for (const p of problems) console.error(`install check: ${p}`);
  if (problems.length === 0) console.log("install check: ok");
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = main();
}
