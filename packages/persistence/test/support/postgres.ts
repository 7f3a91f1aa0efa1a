/**
 * A throwaway PostgreSQL for tests, from the server binaries of Debian's `postgresql` package: a
 * fresh cluster in a temp folder, listening on 127.0.0.1 only (plus a socket in that folder),
 * trust auth, fsync off. Found in /usr/lib/postgresql/<highest version>/bin or on PATH; installed
 * with apt when missing and running as root; otherwise the error names the package. Never skipped
 * silently. Every wait is bounded; the cluster is stopped (immediate) and its folder removed by
 * `stop()`, and also when the process exits without calling it.
 */
import { execFile, spawnSync } from "node:child_process";
import { accessSync, chmodSync, chownSync, constants, existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import pg from "pg";
import { aptInstallAsRoot, freePort, isRoot } from "./debian";

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/duet_test */
  readonly url: string;
  /** Creates another empty database in the same cluster and returns its URL. */
  newDatabase(): Promise<string>;
  /** Stops the cluster (immediate mode) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

const DEBIAN_PACKAGE = "postgresql";

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The folder holding initdb and pg_ctl: Debian's highest installed version, else PATH. */
export function findPostgresBin(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => executable(join(base, v, "bin", "initdb")))
      .filter((v) => executable(join(base, v, "bin", "pg_ctl")))
      .sort((x, y) => Number.parseFloat(y) - Number.parseFloat(x));
    if (versions[0]) return join(base, versions[0], "bin");
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && executable(join(dir, "initdb")) && executable(join(dir, "pg_ctl"))) return dir;
  }
  return undefined;
}

/** Finds the binaries, installing Debian's package as root when they are missing. */
export function ensurePostgresBin(): string {
  const found = findPostgresBin();
  if (found) return found;
  aptInstallAsRoot(
    DEBIAN_PACKAGE,
    "PostgreSQL server binaries (initdb, pg_ctl) are",
    "to run the PostgreSQL tests",
  );
  const bin = findPostgresBin();
  if (!bin) {
    throw new Error(
      `apt-get install ${DEBIAN_PACKAGE} did not provide initdb/pg_ctl: install it by hand`,
    );
  }
  return bin;
}

function userIds(name: string): { uid: number; gid: number } {
  const id = (flag: string): number => {
    const res = spawnSync("id", [flag, name], { encoding: "utf8", timeout: 10_000 });
    const n = Number(res.stdout.trim());
    if (res.status !== 0 || !Number.isInteger(n)) {
      throw new Error(
        `running as root, but there is no \`${name}\` user to own the cluster (initdb refuses ` +
          `root): install the Debian package \`${DEBIAN_PACKAGE}\`, which creates it`,
      );
    }
    return n;
  };
  return { uid: id("-u"), gid: id("-g") };
}

const quote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`;

/** Runs a program (as `postgres` when we are root), failing after `timeoutMs`. */
function runAsOwner(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  const [file, argv] = isRoot()
    ? ["su", ["postgres", "-s", "/bin/sh", "-c", [cmd, ...args].map(quote).join(" ")]]
    : [cmd, args];
  return new Promise((resolve, reject) => {
    execFile(
      file as string,
      argv as string[],
      { timeout: timeoutMs, killSignal: "SIGKILL", encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(" ")} failed: ${stderr || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

async function createDatabase(port: number, name: string): Promise<void> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port,
    user: "postgres",
    database: "postgres",
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
  });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = ensurePostgresBin();
  const dir = await mkdtemp(join(tmpdir(), "duet-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "log");
  chmodSync(dir, 0o700);
  if (isRoot()) {
    const { uid, gid } = userIds("postgres");
    chownSync(dir, uid, gid);
  }
  const pgCtl = join(bin, "pg_ctl");
  let running = false;
  // Immediate stop, synchronous so that it also works from an exit handler. Bounded.
  const stopNow = (): void => {
    if (running) {
      const args = ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"];
      if (isRoot()) {
        spawnSync(
          "su",
          ["postgres", "-s", "/bin/sh", "-c", [pgCtl, ...args].map(quote).join(" ")],
          {
            timeout: 40_000,
            stdio: "ignore",
          },
        );
      } else {
        spawnSync(pgCtl, args, { timeout: 40_000, stdio: "ignore" });
      }
      running = false;
    }
  };
  const cleanUpAtExit = (): void => {
    stopNow();
    spawnSync("rm", ["-rf", dir], { timeout: 30_000 });
  };
  process.once("exit", cleanUpAtExit);

  try {
    await runAsOwner(
      join(bin, "initdb"),
      ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"],
      120_000,
    );
    let port = 0;
    // A port found free may be taken before the server binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const serverOptions = [
        `-p ${port}`,
        `-k ${dir}`,
        "-c listen_addresses=127.0.0.1",
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
      ].join(" ");
      try {
        await runAsOwner(
          pgCtl,
          ["-D", data, "-l", log, "-w", "-t", "60", "-o", serverOptions, "start"],
          90_000,
        );
        running = true;
        break;
      } catch (err) {
        running = true; // it may have started late: stopping a stopped cluster is harmless
        stopNow();
        if (attempt >= 3) {
          const tail = await readFile(log, "utf8").catch(() => "");
          throw new Error(`${(err as Error).message}\n${tail.slice(-2000)}`);
        }
      }
    }
    await createDatabase(port, "duet_test");
    let databases = 0;
    let stopped = false;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/duet_test`,
      async newDatabase() {
        const name = `duet_test_${++databases}`;
        await createDatabase(port, name);
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        process.removeListener("exit", cleanUpAtExit);
        stopNow();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    process.removeListener("exit", cleanUpAtExit);
    stopNow();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
