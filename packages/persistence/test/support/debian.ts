/**
 * What the throwaway services of the tests share (PostgreSQL here, Redis in
 * packages/redis-store/test/support/redis.ts): installing a Debian package when running as root, and a
 * free loopback port.
 */
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";

export const isRoot = (): boolean => process.getuid?.() === 0;

function apt(args: string[]): boolean {
  const res = spawnSync("apt-get", args, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 600_000,
  });
  return res.status === 0;
}

/**
 * Installs Debian's `pkg` when running as root (an `apt-get update` first if the plain install
 * fails); otherwise throws naming the package and what it is `for`. The caller looks for its
 * binaries again afterwards.
 */
export function aptInstallAsRoot(pkg: string, binaries: string, forWhat: string): void {
  if (!isRoot()) {
    throw new Error(
      `${binaries} missing: install the Debian package \`${pkg}\` ` +
        `(apt-get install -y --no-install-recommends ${pkg}) ${forWhat}`,
    );
  }
  const install = ["install", "-y", "--no-install-recommends", pkg];
  if (!apt(install)) {
    apt(["update"]);
    apt(install);
  }
}

/** A port free on 127.0.0.1 just now (the caller retries if it is taken before it binds). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
