/**
 * A throwaway coturn (Debian's `coturn`, installed by scripts/ensure-chromium.sh before the test
 * network namespace is entered) on 127.0.0.1, with coturn's REST-API authentication
 * (`use-auth-secret` + `static-auth-secret`): the scheme Duet's per-session TURN credentials
 * follow (apps/server/src/media/ice.ts).
 *
 * Started by the spec that needs it, inside the namespace, so that everything it relays stays
 * on loopback. Every wait is bounded.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Coturn {
  /** Everything coturn printed (for a failing test's message). */
  output(): string;
  stop(): Promise<void>;
}

const TURNSERVER = "/usr/bin/turnserver";

function assertInstalled(): void {
  try {
    execFileSync(TURNSERVER, ["--version"], { stdio: "ignore", timeout: 30_000 });
  } catch {
    throw new Error(
      "coturn is required for the TURN browser test: install Debian's package 'coturn' (apt-get install coturn); scripts/ensure-chromium.sh does it when run as root",
    );
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port (coturn listens on both). */
async function waitForPort(port: number, process: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) throw new Error(`coturn exited with ${process.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`coturn did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export async function startCoturn(options: {
  port: number;
  /** coturn's static-auth-secret (Duet's TURN_SECRET when they match). */
  secret: string;
  /** Relay ports (a small range: the tests open a handful of allocations). */
  minPort: number;
  maxPort: number;
}): Promise<Coturn> {
  assertInstalled();
  const dir = mkdtempSync(join(tmpdir(), "duet-coturn-"));
  const args = [
    "-n", // no configuration file: everything is on this command line
    `--listening-port=${options.port}`,
    "--listening-ip=127.0.0.1",
    "--relay-ip=127.0.0.1",
    `--min-port=${options.minPort}`,
    `--max-port=${options.maxPort}`,
    "--use-auth-secret",
    `--static-auth-secret=${options.secret}`,
    "--realm=duet.test",
    "--fingerprint",
    "--no-tls",
    "--no-dtls",
    "--no-cli",
    "--no-multicast-peers",
    // The peers (the two browsers) are on 127.0.0.1 too, which coturn refuses by default.
    "--allow-loopback-peers",
    "--log-file=stdout",
    "--simple-log",
    `--pidfile=${join(dir, "turnserver.pid")}`,
    `--userdb=${join(dir, "turndb")}`,
  ];
  const child = spawn(TURNSERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    // Bounded: the last 64 KiB is plenty to see why it failed.
    output = (output + chunk.toString("utf8")).slice(-65_536);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killed = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 5_000)),
      ]);
      if (!killed) {
        child.kill("SIGKILL");
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(options.port, child, 30_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- coturn output ---\n${output}`);
  }
  return { output: () => output, stop };
}
