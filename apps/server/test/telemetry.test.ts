/**
 * Next.js telemetry is off in every npm script (docs/configuration.md, NEXT_TELEMETRY_DISABLED):
 * every script that runs the `next` CLI goes through scripts/next.mjs, which turns it off, and the
 * server turns it off before it loads Next. Asked of Next itself (`next telemetry status`) with
 * the variable removed from the environment, as a fresh shell or CI would have it.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PACKAGES = ["package.json", "apps/web/package.json", "apps/server/package.json"];

const scripts = (pkg: string): [string, string][] =>
  Object.entries(
    (JSON.parse(readFileSync(join(ROOT, pkg), "utf8")) as { scripts?: Record<string, string> })
      .scripts ?? {},
  );

function withoutTelemetryVariable(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NEXT_TELEMETRY_DISABLED;
  return env;
}

describe("Next.js telemetry", () => {
  it("no npm script runs the next CLI except through scripts/next.mjs", () => {
    for (const pkg of PACKAGES) {
      for (const [name, command] of scripts(pkg)) {
        // `next` as a command word (not `next.mjs`, not a path segment or a package name).
        const bareNext = /(^|[\s;&|(])(npx\s+)?next(\s|$)/.test(command);
        expect(bareNext, `${pkg} script "${name}": ${command}`).toBe(false);
      }
    }
    const web = Object.fromEntries(scripts("apps/web/package.json"));
    expect(web.build).toBe("node ../../scripts/next.mjs build");
  });

  it("next telemetry status says Disabled through the wrapper, with the variable unset", () => {
    const cwd = join(ROOT, "apps/web");
    const status = (args: string[]): string => {
      const out = spawnSync(process.execPath, args, {
        cwd,
        env: withoutTelemetryVariable(),
        encoding: "utf8",
        timeout: 60_000,
      });
      return `${out.stdout}${out.stderr}`;
    };
    expect(status([join(ROOT, "scripts/next.mjs"), "telemetry", "status"])).toMatch(
      /Status: Disabled/,
    );
    // The control: the same question straight to Next reads whatever this machine's global
    // config says, so only the wrapper's answer is asserted to be Disabled.
  }, 90_000);

  it("the server disables it before loading Next", () => {
    const main = readFileSync(join(ROOT, "apps/server/src/main.ts"), "utf8");
    const disable = main.indexOf('process.env.NEXT_TELEMETRY_DISABLED = "1"');
    const load = main.indexOf('await import("next")');
    expect(disable).toBeGreaterThan(-1);
    expect(load).toBeGreaterThan(disable);
    expect(main).not.toMatch(/^import .* from "next";$/m);
  });
});
