/**
 * The process as a supervisor sees it (issue 15), through real child processes running
 * server.ts's runMain (the code main.ts runs) with a stub web app: crashes exit 1 after telling
 * clients, a second process on the same DATA_DIR refuses to start, and start-up failures name
 * their cause in one line.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { TestClient } from "./harness";

const FIXTURE = fileURLToPath(new URL("./fixtures/process-server.ts", import.meta.url));
// The embedded database (PGlite, WebAssembly) takes seconds to create on a busy machine.
// A child process opening an embedded database on disk took 150 s on a machine with a load
// average of 8–17 (2 cores); on a quiet one it takes a few seconds. The ceiling is for the former.
const START_MS = 240_000;

interface Child {
  proc: ChildProcessWithoutNullStreams;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

const children: Child[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.proc.kill("SIGKILL");
});

function start(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      SHUTDOWN_GRACE_MS: "300",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const child: Child = {
    proc,
    stdout: [],
    stderr: [],
    exited: new Promise((resolve) => proc.once("exit", (code) => resolve(code))),
  };
  proc.stdout.setEncoding("utf8").on("data", (d: string) => child.stdout.push(d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => child.stderr.push(d));
  children.push(child);
  return child;
}

/** Resolves with the port once the child logs "Duet is listening"; rejects if it exits first. */
function listening(child: Child): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start")), START_MS);
    const check = (): void => {
      const m = /"port":(\d+)[^\n]*"msg":"Duet is listening"/.exec(child.stdout.join(""));
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.proc.stdout.on("data", check);
    child.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before listening: ${child.stderr.join("")}`));
    });
  });
}

const tempDir = (): string => mkdtempSync(join(tmpdir(), "duet-process-"));

describe("a crash (uncaught exception, unhandled rejection)", () => {
  for (const kind of ["throw", "reject"] as const) {
    it(`${kind}: logs it, tells connected clients the server is restarting, exits 1`, async () => {
      const child = start({ DATA_DIR: tempDir() });
      const port = await listening(child);
      const client = await TestClient.connect({ url: `http://127.0.0.1:${port}` });
      try {
        await client.join("both");
        child.proc.stdin.write(`${kind}\n`);
        const code = await child.exited;
        expect(code).toBe(1);
        const log = child.stdout.join("");
        const kindName = kind === "throw" ? "uncaughtException" : "unhandledRejection";
        expect(log).toContain(`"msg":"${kindName}: telling clients the server is restarting`);
        expect(log).toContain(
          kind === "throw" ? "thrown from a timer" : "rejected with no handler",
        );
        expect(client.notices.map((n) => n.kind)).toContain("server_restarting");
        expect(client.disconnected).toBe(true);
      } finally {
        client.close();
      }
    }, 600_000);
  }
});

describe("one DATA_DIR, one process (embedded database)", () => {
  it("a second process on the same DATA_DIR refuses to start with one clear line; after the first stops, a new one starts", async () => {
    const dataDir = tempDir();
    const first = start({ DATA_DIR: dataDir });
    await listening(first);
    const second = start({ DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    const err = second.stderr.join("").trim();
    expect(err.split("\n")).toHaveLength(1);
    expect(err).toContain(`is in use by another Duet process (pid ${first.proc.pid}`);
    // The first keeps serving; a graceful stop releases the lock.
    first.proc.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const third = start({ DATA_DIR: dataDir });
    await listening(third);
  }, 600_000);

  it("a lock left by a process that died is taken over at once", async () => {
    const dataDir = tempDir();
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => dead.once("exit", resolve));
    writeFileSync(
      join(dataDir, "duet.lock"),
      JSON.stringify({ pid: dead.pid, host: (await import("node:os")).hostname(), since: "then" }),
    );
    await listening(start({ DATA_DIR: dataDir }));
  }, 600_000);
});

describe("start-up failures name the cause in one line", () => {
  const oneLineFailure = async (env: Record<string, string>): Promise<string> => {
    const child = start(env);
    const code = await child.exited;
    expect(code).not.toBe(0);
    const err = child.stderr.join("").trim();
    expect(err.split("\n"), err).toHaveLength(1);
    expect(err).not.toMatch(/\n\s+at /);
    return err;
  };

  it("DATA_DIR is a file, or under one (ENOTDIR)", async () => {
    const file = join(tempDir(), "not-a-folder");
    writeFileSync(file, "x");
    for (const dataDir of [file, join(file, "data")]) {
      expect(await oneLineFailure({ DATA_DIR: dataDir })).toBe(
        `Duet failed to start: DATA_DIR ${dataDir}: it, or a folder on its path, is a file, not a folder (ENOTDIR). Fix the folder or set DATA_DIR to a writable folder.`,
      );
    }
  }, 600_000);

  it("DATA_DIR cannot be written (EACCES; /sys refuses even root)", async () => {
    expect(await oneLineFailure({ DATA_DIR: "/sys" })).toMatch(
      /^Duet failed to start: DATA_DIR \/sys: permission denied \(EACCES\)/,
    );
  }, 600_000);

  it("the port is taken (EADDRINUSE)", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      expect(await oneLineFailure({ DATA_DIR: tempDir(), PORT: String(port) })).toMatch(
        new RegExp(
          `^Duet failed to start: port 127\\.0\\.0\\.1:${port} is already in use \\(EADDRINUSE\\)`,
        ),
      );
    } finally {
      blocker.close();
    }
  }, 600_000);
});
