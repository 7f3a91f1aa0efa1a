/**
 * The coordinator's pure parts: the churn window (long enough at every N to hold several of a
 * server's match waves, see churnWindowMs; `--churn-ms` still sets it outright), duet-cluster's
 * `--nodes` and the client → node assignment its generators use; the relay's p99 bar
 * (`--relay-bar-ms`) and the best rates it reads from a run's steps.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nodeOf } from "./ipc";
import { LOAD_CORE, pinToCore } from "./procs";
import { churnWindowMs, parseArgs } from "./run";
import { bestRates } from "./scenarios";

describe("churn window", () => {
  it("is 10 s up to 5,000 clients, then 2 ms per client", () => {
    const options = parseArgs([]);
    expect(churnWindowMs(options, 1000)).toBe(10_000);
    expect(churnWindowMs(options, 5000)).toBe(10_000);
    expect(churnWindowMs(options, 10_000)).toBe(20_000);
    expect(churnWindowMs(options, 15_000)).toBe(30_000);
  });

  it("is what --churn-ms says when given", () => {
    const options = parseArgs(["--churn-ms", "4000"]);
    expect(churnWindowMs(options, 15_000)).toBe(4000);
  });
});

describe("--nodes (duet-cluster)", () => {
  it("defaults to 3 and takes 2 to 8, before or after --targets", () => {
    expect(parseArgs(["--targets", "duet,duet-cluster"]).nodes).toBe(3);
    expect(parseArgs(["--targets", "duet-cluster", "--nodes", "2"]).nodes).toBe(2);
    expect(parseArgs(["--nodes", "8", "--targets", "duet-cluster"]).nodes).toBe(8);
    expect(parseArgs(["--targets", "duet-redis,duet-cluster"]).targets).toEqual([
      "duet-redis",
      "duet-cluster",
    ]);
  });

  it("refuses fewer than 2, more than 8, or anything but a whole number", () => {
    for (const v of ["1", "0", "9", "2.5", "-3", "three", ""]) {
      expect(() => parseArgs(["--targets", "duet-cluster", "--nodes", v])).toThrow(/--nodes/);
    }
    expect(() => parseArgs(["--targets", "duet-cluster", "--nodes"])).toThrow(/needs a value/);
  });

  it("is refused when --targets has no duet-cluster", () => {
    expect(() => parseArgs(["--nodes", "3"])).toThrow(/add duet-cluster to --targets/);
    expect(() => parseArgs(["--targets", "duet,duet-redis", "--nodes", "3"])).toThrow(
      /add duet-cluster/,
    );
  });

  it("rejects unknown targets", () => {
    expect(() => parseArgs(["--targets", "duet-clusters"])).toThrow(/unknown target/);
  });
});

describe("--relay-bar-ms", () => {
  it("is 50 by default, takes any number of ms above 0, and refuses the rest", () => {
    expect(parseArgs([]).relayBarMs).toBe(50);
    expect(parseArgs(["--relay-bar-ms", "200"]).relayBarMs).toBe(200);
    for (const v of ["0", "-5", "fast", ""]) {
      expect(() => parseArgs(["--relay-bar-ms", v])).toThrow(/--relay-bar-ms/);
    }
  });

  it("reads the best rate under 50 ms and under the bar from the same steps", () => {
    const step = (rate: number, p99: number, received = rate * 3) => ({
      rate,
      sent: rate * 3,
      received,
      latency: { count: rate * 3, p50: 1, p95: p99 / 2, p99, max: p99 + 5, mean: 2 },
    });
    const steps = [
      step(2000, 30),
      step(5000, 60), // a GC pause: over 50, under 200
      step(6000, 45),
      step(7000, 150),
      step(8000, 120, 8000 * 3 * 0.9), // under the bar but 10 % lost: not counted
      step(9000, 400),
    ];
    expect(bestRates(steps, 50)).toEqual({ under50: 6000, underBar: 6000 });
    expect(bestRates(steps, 200)).toEqual({ under50: 6000, underBar: 7000 });
    expect(bestRates([], 200)).toEqual({ under50: 0, underBar: 0 });
  });
});

describe("--gen-nice", () => {
  it("is 0 (off) by default and takes 0–19", () => {
    expect(parseArgs([]).genNice).toBe(0);
    expect(parseArgs(["--gen-nice", "10"]).genNice).toBe(10);
    for (const v of ["-1", "20", "2.5", "x"])
      expect(() => parseArgs(["--gen-nice", v])).toThrow(/--gen-nice/);
  });
});

describe("--pin", () => {
  it("is off by default; on, it puts a process and all its threads on one core", async () => {
    expect(parseArgs([]).pin).toBe(false);
    expect(parseArgs(["--pin"]).pin).toBe(true);
    // A child with a few threads (node's own): every one of them ends up on the core asked for.
    const child = spawn(
      process.execPath,
      ["-e", "console.log('up'); setTimeout(() => {}, 60000)"],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    try {
      // Started (its worker threads with it) once it speaks.
      await new Promise((resolve) => child.stdout.once("data", resolve));
      const pid = child.pid as number;
      pinToCore(pid, LOAD_CORE);
      const threads = readdirSync(`/proc/${pid}/task`);
      expect(threads.length).toBeGreaterThan(1);
      for (const tid of threads) {
        const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
        expect(/^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1]).toBe(LOAD_CORE);
      }
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("client → node assignment", () => {
  it("is deterministic and 0 with one node", () => {
    const first = Array.from({ length: 24 }, (_, i) => nodeOf(i, 3));
    expect(Array.from({ length: 24 }, (_, i) => nodeOf(i, 3))).toEqual(first);
    expect(nodeOf(7, 1)).toBe(0);
    for (let i = 0; i < 100; i++) expect(nodeOf(i, 5)).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 100; i++) expect(nodeOf(i, 5)).toBeLessThan(5);
  });

  it("gives each block of K clients in index order one client per node", () => {
    // So clients next to each other (joined, so likely matched, close together) differ in node.
    for (const k of [2, 3, 5, 8]) {
      for (let block = 0; block < 50; block++) {
        const nodes = Array.from({ length: k }, (_, i) => nodeOf(block * k + i, k));
        expect([...nodes].sort()).toEqual(Array.from({ length: k }, (_, i) => i));
      }
    }
  });

  it("spreads any N evenly: node counts differ by at most one", () => {
    for (const k of [2, 3, 5, 8]) {
      for (const n of [1, 40, 999, 10_000]) {
        const counts = Array.from({ length: k }, () => 0);
        for (let i = 0; i < n; i++) {
          const node = nodeOf(i, k);
          counts[node] = (counts[node] ?? 0) + 1;
        }
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }
    }
  });

  it("does not tie a node to menti's intent (index mod 4) or the topic (index mod 3)", () => {
    // Plain index % 2 would put every talker on node 0 and every listener on node 1.
    const n = 10_000;
    for (const k of [2, 3, 4, 8]) {
      for (const [period, residue] of [
        [4, 0],
        [4, 1],
        [3, 0],
      ] as const) {
        const counts = Array.from({ length: k }, () => 0);
        for (let i = residue; i < n; i += period)
          counts[nodeOf(i, k)] = (counts[nodeOf(i, k)] ?? 0) + 1;
        const fair = n / period / k;
        for (const c of counts) expect(Math.abs(c - fair) / fair).toBeLessThan(0.15);
      }
    }
  });
});
