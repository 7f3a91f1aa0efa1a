import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { lockProblems, nodeLineProblems } from "./check-install.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const ourRange: string = JSON.parse(read("package.json")).engines.node;

describe("install check", () => {
  it("passes on the committed lockfile, README, engines and .nvmrc", () => {
    expect(lockProblems(JSON.parse(read("package-lock.json")), ourRange)).toEqual([]);
    expect(
      nodeLineProblems({ readme: read("README.md"), ourRange, nvmrc: read(".nvmrc") }),
    ).toEqual([]);
  });

  it("names a locked package whose engines leave out part of our range", () => {
    const lock = {
      packages: {
        "": { name: "duet", engines: { node: ourRange } },
        "node_modules/cookie": { version: "2.0.2", engines: { node: ">=22" } },
        "node_modules/ok": { version: "1.0.0", engines: { node: ">=18" } },
      },
    };
    expect(lockProblems(lock, ">=20.19 <21")).toEqual([
      "cookie@2.0.2 needs node >=22, which does not cover our >=20.19 <21",
    ]);
    // Partly covered is not covered: a user on 20.19.0 would see the warning.
    const partly = {
      packages: { "node_modules/vite": { version: "8", engines: { node: "^20.19.0" } } },
    };
    expect(lockProblems(partly, ">=20.11 <21")).toHaveLength(1);
  });

  it("names esbuild installed at more than one version", () => {
    const lock = {
      packages: {
        "node_modules/esbuild": { version: "0.28.2" },
        "node_modules/drizzle-kit/node_modules/esbuild": { version: "0.25.12" },
        "apps/web": { name: "@duet/web", version: "0.1.0" },
      },
    };
    const problems = lockProblems(lock, ">=20.19 <21");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^esbuild is installed 2 times/);
  });

  it("wants README, engines and .nvmrc to name one Node line", () => {
    const readme = "Needs Node.js 20 and npm.";
    expect(nodeLineProblems({ readme, ourRange: ">=20.19 <21", nvmrc: "20\n" })).toEqual([]);
    expect(nodeLineProblems({ readme, ourRange: ">=20.19 <21", nvmrc: "22" })).toHaveLength(1);
    expect(nodeLineProblems({ readme, ourRange: ">=20.19 <21 || >=22", nvmrc: "20" })).toEqual([
      'engines.node ">=20.19 <21 || >=22" spans more than one major line',
    ]);
    expect(nodeLineProblems({ readme: "Node", ourRange: ">=20.19 <21", nvmrc: "20" })).toHaveLength(
      2,
    );
  });
});
