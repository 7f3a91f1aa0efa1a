/**
 * A throwaway PostgreSQL for tests, from Debian's `postgresql` binaries: a fresh cluster in a temp
 * folder, listening on 127.0.0.1 only, fsync off, trust auth. Installed with apt when running as
 * root and missing; otherwise the error names the package to install. Never skipped silently.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/duet_test */
  readonly url: string;
  stop(): Promise<void>;
}

function findBin(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, "bin", "initdb")))
    .sort((x, y) => Number(y) - Number(x));
  return versions[0] ? join(base, versions[0], "bin") : undefined;
}

function ensureInstalled(): string {
  const found = findBin();
  if (found) return found;
  const root = process.getuid?.() === 0;
  if (!root) {
    throw new Error(
      "PostgreSQL server binaries are missing: install Debian's `postgresql` package (apt-get install postgresql) to run these tests",
    );
  }
  const run = (args: string[]) =>
    spawnSync("apt-get", args, {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      timeout: 600_000,
    });
  let res = run(["install", "-y", "--no-install-recommends", "postgresql"]);
  if (res.status !== 0) {
    run(["update"]);
    res = run(["install", "-y", "--no-install-recommends", "postgresql"]);
  }
  const bin = findBin();
  if (!bin) throw new Error("apt-get install postgresql did not provide initdb");
  return bin;
}

async function freePort(): Promise<number> {
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

export async function startPostgres(): Promise<TestPostgres> {
  const bin = ensureInstalled();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "duet-pg-"));
  const data = join(dir, "data");
  const sock = join(dir, "sock");
  chmodSync(dir, 0o755);
  // initdb refuses to run as root: the cluster belongs to the `postgres` user.
  const uid = root ? Number(execFileSync("id", ["-u", "postgres"]).toString().trim()) : undefined;
  const gid = root ? Number(execFileSync("id", ["-g", "postgres"]).toString().trim()) : undefined;
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const asOwner = (cmd: string, args: string[]): void => {
    const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const res = root
      ? spawnSync("su", ["postgres", "-s", "/bin/sh", "-c", quoted], {
          timeout: 120_000,
          encoding: "utf8",
        })
      : spawnSync(cmd, args, { timeout: 120_000, encoding: "utf8" });
    if (res.status !== 0) {
      throw new Error(`${cmd} failed: ${res.stderr || res.stdout || res.error?.message}`);
    }
  };
  asOwner("mkdir", ["-p", sock]);
  asOwner(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const port = await freePort();
  asOwner(join(bin, "pg_ctl"), [
    "-D",
    data,
    "-w",
    "-t",
    "60",
    "-l",
    join(dir, "log"),
    "-o",
    `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    "start",
  ]);
  asOwner(join(bin, "psql"), [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-U",
    "postgres",
    "-c",
    "CREATE DATABASE duet_test",
  ]);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/duet_test`,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        asOwner(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
