/**
 * Printing: one table per scenario and N with Duet beside the two floors and the ratios, then
 * the issue's bars as met / missed. Figures from several repetitions are medians. duet-redis and
 * duet-cluster are printed beside duet (memory store) with their ratios to it; duet-cluster's
 * server CPU is the sum over its nodes, and a line under each table gives each node's CPU (is one
 * node the bottleneck?) and the redis-server's.
 */
import type { BenchResults, RunRecord } from "./run";
import type {
  BurstResult,
  ChurnSummary,
  CpuFigures,
  MemoryResult,
  NoticeResult,
  RelayResult,
  StepResult,
} from "./scenarios";

/** A phase's slowest core against its normal speed (core-speed.ts), e.g. "1.08×". */
const slowestCore = (cpu: CpuFigures): string =>
  cpu.machine
    ? `${f(cpu.machine.max, 2)}×${cpu.machine.slow ? " slow" : ""} (late ${cpu.machine.lateMs.map((x) => f(x, 0)).join("/")})`
    : "";

/** A relay result's bar; results written before `--relay-bar-ms` existed were searched at 50. */
const barOf = (r: RelayResult): number => r.barMs ?? 50;

const median = (xs: number[]): number => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
};

const f = (x: number, digits = 1): string =>
  Number.isFinite(x) ? x.toFixed(digits) : x === Number.POSITIVE_INFINITY ? "∞" : "–";
const int = (x: number): string =>
  Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–";
const ratio = (a: number, b: number): string =>
  Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : "–";

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padStart(i === 0 ? 0 : (widths[i] ?? 0)).padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    line(head),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.map(line),
  ].join("\n");
}

const cpuCells = (cpus: CpuFigures[]): string[] => [
  `${f(median(cpus.map((c) => c.serverPct)), 0)}%`,
  `${f(median(cpus.map((c) => c.genPct)), 0)}%`,
];

/**
 * Each node's server CPU (median over repetitions, duet-cluster only) and the redis-server's
 * (duet-redis, duet-cluster); undefined for a target with neither.
 */
function nodeCpu(cpus: CpuFigures[]): string | undefined {
  const k = Math.max(0, ...cpus.map((c) => c.serverPcts.length));
  const parts: string[] = [];
  if (k > 1) {
    const per = Array.from(
      { length: k },
      (_, i) => `${f(median(cpus.map((c) => c.serverPcts[i] ?? Number.NaN)), 0)}%`,
    );
    parts.push(`server CPU per node ${per.join(" / ")}`);
  }
  const redis = cpus.flatMap((c) => (c.redisPct === undefined ? [] : [c.redisPct]));
  if (redis.length > 0) parts.push(`redis-server CPU ${f(median(redis), 0)}%`);
  return parts.length > 0 ? parts.join("; ") : undefined;
}

/** Targets measured beside duet (memory store): "ratio T/duet" lines. */
const CLUSTER_TARGETS = ["duet-redis", "duet-cluster"] as const;

function of<T>(runs: RunRecord[], scenario: string, target: string): T[] {
  return runs
    .filter((r) => r.scenario === scenario && r.target === target)
    .map((r) => r.result as T);
}

/**
 * The ratio a/b taken repetition by repetition (each repetition runs the targets one after the
 * other, so a pair saw the same minutes of the machine): "; by repetition 0.57 (0.38–0.88, 12
 * pairs)" — the median and the range — or "" with fewer than two pairs. The ratio of the
 * medians hides how far single pairs spread; a bar near that median needs this beside it.
 */
export function pairSpread(
  runs: readonly RunRecord[],
  scenario: string,
  a: string,
  b: string,
  value: (result: unknown) => number,
): string {
  const at = (t: string) =>
    new Map(runs.filter((r) => r.scenario === scenario && r.target === t).map((r) => [r.rep, r]));
  const as = at(a);
  const bs = at(b);
  const ratios: number[] = [];
  for (const [rep, ra] of as) {
    const rb = bs.get(rep);
    if (!rb) continue;
    const x = value(ra.result) / value(rb.result);
    if (Number.isFinite(x)) ratios.push(x);
  }
  if (ratios.length < 2) return "";
  const lo = Math.min(...ratios);
  const hi = Math.max(...ratios);
  return `; by repetition ${f(median(ratios), 2)} (${f(lo, 2)}–${f(hi, 2)}, ${ratios.length} pairs)`;
}

export interface Bar {
  n: number;
  bar: string;
  met: boolean | null;
  detail: string;
}

/** Prints every table for one N; returns the bars evaluated on it. */
export function renderN(results: BenchResults, n: number, print: (s: string) => void): Bar[] {
  const runs = results.runs.filter((r) => r.n === n);
  const targets = results.options.targets;
  const bars: Bar[] = [];
  const has = (s: string): boolean => runs.some((r) => r.scenario === s);
  const reps = (s: string, t: string): number => of(runs, s, t).length;
  const label = (t: string): string =>
    t === "duet-cluster" ? `duet-cluster (${results.options.nodes} nodes)` : t;
  /** Under a table: per-node and redis-server CPU of the targets that have them. */
  const printNodeCpu = (cpusOf: (t: string) => CpuFigures[]): void => {
    for (const t of targets) {
      const line = nodeCpu(cpusOf(t));
      if (line) print(`${label(t)}: ${line}`);
    }
  };
  const ratioHeads = (what: string): string[] =>
    ["socketio", "ws"]
      .filter((t) => targets.includes(t as never) && targets.includes("duet"))
      .map((t) => `${what} duet/${t}`);

  print(
    `\n## N = ${n.toLocaleString("en-US")} (${results.options.client} client, space ${results.options.space})`,
  );

  if (has("burst")) {
    const rows = targets.map((t) => {
      const rs = of<BurstResult>(runs, "burst", t);
      const m = (pick: (r: BurstResult) => number): number => median(rs.map(pick));
      return [
        `${t} (×${reps("burst", t)})`,
        int(m((r) => r.connected)),
        int(m((r) => r.matchedClients)),
        int(Math.max(...rs.map((r) => r.invalid))),
        int(Math.max(...rs.map((r) => r.stranded))),
        int(m((r) => r.leftoverIncompatible)),
        f(m((r) => r.joinToMatched.p50)),
        f(m((r) => r.joinToMatched.p95)),
        f(m((r) => r.joinToMatched.p99)),
        f(m((r) => r.joinToMatched.max)),
        f(m((r) => r.joinToReady.p99)),
        int(m((r) => r.matchesPerSec)),
        ...cpuCells(rs.map((r) => r.cpu)),
      ];
    });
    print("\n### Burst join (join → matched, ms)");
    print(
      table(
        [
          "target",
          "connected",
          "matched",
          "invalid",
          "stranded",
          "leftover",
          "p50",
          "p95",
          "p99",
          "max",
          "p99→active",
          "matches/s",
          "server CPU",
          "gen CPU",
        ],
        rows,
      ),
    );
    const p99 = (t: string): number =>
      median(of<BurstResult>(runs, "burst", t).map((r) => r.joinToMatched.p99));
    const mps = (t: string): number =>
      median(of<BurstResult>(runs, "burst", t).map((r) => r.matchesPerSec));
    for (const t of ["socketio", "ws"]) {
      if (targets.includes(t as never) && targets.includes("duet"))
        print(
          `ratio duet/${t}: p99 ${ratio(p99("duet"), p99(t))}, matches/s ${ratio(mps("duet"), mps(t))}`,
        );
    }
    for (const t of CLUSTER_TARGETS) {
      if (targets.includes(t) && targets.includes("duet"))
        print(
          `ratio ${t}/duet: p99 ${ratio(p99(t), p99("duet"))}, matches/s ${ratio(mps(t), mps("duet"))}`,
        );
    }
    printNodeCpu((t) => of<BurstResult>(runs, "burst", t).map((r) => r.cpu));
    const cluster = of<BurstResult>(runs, "burst", "duet-cluster");
    if (cluster.length > 0) {
      const cross = median(cluster.map((r) => r.crossNodePairs));
      const sessions = median(cluster.map((r) => r.sessions - r.invalid));
      print(
        `${label("duet-cluster")}: cross-node pairs ${int(cross)} of ${int(sessions)} (${f((cross / Math.max(1, sessions)) * 100, 0)} %)`,
      );
    }
    const duet = of<BurstResult>(runs, "burst", "duet");
    if (duet.length > 0) {
      const unmatched = Math.max(...duet.map((r) => r.connected - r.matchedClients));
      const invalid = Math.max(...duet.map((r) => r.invalid + r.stranded));
      const worstP99 = Math.max(...duet.map((r) => r.joinToMatched.p99));
      const leftover = Math.max(...duet.map((r) => r.leftoverIncompatible));
      bars.push({
        n,
        bar: "burst: all matched, 0 invalid/stranded, p99 join→matched < 500 ms",
        met: unmatched - leftover === 0 && invalid === 0 && worstP99 < 500,
        detail: `unmatched ${unmatched} (of which ${leftover} with no compatible partner left), invalid+stranded ${invalid}, worst p99 ${f(worstP99)} ms`,
      });
    }
  }

  if (has("relay")) {
    print("\n### Relay (open-loop stepped rates; latency send→partner, ms)");
    for (const t of targets) {
      const rs = of<RelayResult>(runs, "relay", t);
      rs.forEach((r, rep) => {
        print(
          `\n${label(t)} rep ${rep + 1}: ${int(r.pairsReady)} pairs; max rate with p99 < 50 ms: ${int(r.maxRateP99Under50)} msg/s${barOf(r) === 50 ? "" : `; with p99 < ${int(barOf(r))} ms: ${int(r.maxRateUnderBar)} msg/s`}`,
        );
        // duet-cluster: each node's CPU per step; duet-redis/duet-cluster: the redis-server's.
        const perNode = r.steps.some((s) => s.cpu.serverPcts.length > 1);
        const withRedis = r.steps.some((s) => s.cpu.redisPct !== undefined);
        const watched = r.steps.some((s) => s.cpu.machine !== undefined);
        print(
          table(
            [
              "rate msg/s",
              "sent",
              "delivered",
              "p50",
              "p95",
              "p99",
              "max",
              "sender lag",
              "server CPU",
              "gen CPU",
              ...(perNode ? ["CPU per node"] : []),
              ...(withRedis ? ["redis CPU"] : []),
              "GC ms (longest)",
              "loop max",
              ...(watched ? ["slowest core"] : []),
            ],
            r.steps.map((s: StepResult) => [
              int(s.rate),
              int(s.sent),
              `${f((s.received / Math.max(1, s.sent)) * 100)}%`,
              f(s.latency.p50),
              f(s.latency.p95),
              f(s.latency.p99),
              f(s.latency.max),
              f(s.maxLagMs),
              ...cpuCells([s.cpu]),
              ...(perNode ? [s.cpu.serverPcts.map((x) => `${f(x, 0)}%`).join(" / ")] : []),
              ...(withRedis ? [`${f(s.cpu.redisPct ?? Number.NaN, 0)}%`] : []),
              s.cpu.gcMs === undefined ? "" : `${f(s.cpu.gcMs, 0)} (${f(s.cpu.gcMaxMs ?? 0, 0)})`,
              s.cpu.loopMaxMs === undefined ? "" : f(s.cpu.loopMaxMs, 0),
              ...(watched ? [slowestCore(s.cpu)] : []),
            ]),
          ),
        );
        const slow = r.slowSteps ?? [];
        if (slow.length > 0)
          print(
            `redone because a core ran slow (not counted): ${slow
              .map(
                (s) =>
                  `${int(s.rate)} msg/s (p99 ${f(s.latency.p99)} ms, server ${f(s.cpu.serverPct, 0)}%, ${slowestCore(s.cpu)})`,
              )
              .join("; ")}`,
          );
      });
    }
    const best = (t: string): number =>
      median(of<RelayResult>(runs, "relay", t).map((r) => r.maxRateP99Under50));
    /** Each target's median best rate, Duet's beside the floors'. */
    const bestTable = (title: string, rate: (t: string) => number): void => {
      print(`\nhighest rate with ${title} (median over reps):`);
      print(
        table(
          ["target", "msg/s", ...ratioHeads("ratio")],
          targets.map((t) => [
            t,
            int(rate(t)),
            ...(t === "duet"
              ? ["socketio", "ws"]
                  .filter((o) => targets.includes(o as never))
                  .map((o) => ratio(rate("duet"), rate(o)))
              : ratioHeads("").map(() => "")),
          ]),
        ),
      );
    };
    bestTable("p99 < 50 ms", best);
    for (const t of CLUSTER_TARGETS) {
      if (targets.includes(t) && targets.includes("duet"))
        print(`ratio ${t}/duet (best rate): ${ratio(best(t), best("duet"))}`);
    }
    // The same under the higher bar the steps were searched with (--relay-bar-ms), if any.
    const searched = new Set(targets.flatMap((t) => of<RelayResult>(runs, "relay", t).map(barOf)));
    const bar = searched.size === 1 ? [...searched][0] : undefined;
    if (bar !== undefined && bar !== 50) {
      const atBar = (t: string): number =>
        median(of<RelayResult>(runs, "relay", t).map((r) => r.maxRateUnderBar));
      bestTable(`p99 < ${int(bar)} ms`, atBar);
    }
    // Per relayed message, over every step of every repetition (medians): what a message costs
    // on the wire, in the store and in the server's CPU (all nodes; µs of one core).
    for (const t of targets) {
      const steps = of<RelayResult>(runs, "relay", t).flatMap((r) => r.steps);
      const packets = steps.flatMap((s) => (s.packetsPerMessage ? [s.packetsPerMessage] : []));
      if (packets.length === 0) continue;
      const store = steps.flatMap((s) => (s.storePerMessage ? [s.storePerMessage.total] : []));
      const cpuUs = steps
        .filter((s) => s.sent > 0)
        .map((s) => ((s.cpu.serverPct / 100) * s.cpu.wallMs * 1000) / s.sent);
      const writes = writesText(
        steps.flatMap((s) => (s.writesPerMessage ? [s.writesPerMessage] : [])),
      );
      print(
        `${t}: per relayed message ${f(median(packets), 2)} packets, ${
          store.length > 0 ? `${f(median(store), 2)} store calls, ` : ""
        }server CPU ${f(median(cpuUs), 1)} µs${writes ? `, ${writes}` : ""}`,
      );
    }
    if (targets.includes("duet") && targets.includes("socketio")) {
      const r = best("duet") / best("socketio");
      bars.push({
        n,
        bar: "relay: Duet's best rate at p99 < 50 ms ≥ 70 % of bare Socket.IO's",
        met: Number.isFinite(r) ? r >= 0.7 : null,
        detail: `${int(best("duet"))} vs ${int(best("socketio"))} msg/s = ${f(r * 100, 0)} %`,
      });
    }
  }

  const half = results.half.filter((h) => h.n === n);
  if (half.length > 0) {
    const rate = half[0]?.rate ?? 0;
    print(`\n### Relay at half the bare Socket.IO relay's best rate (${int(rate)} msg/s)`);
    const p99 = (t: string): number =>
      median(half.filter((h) => h.target === t).map((h) => h.result.latency.p99));
    print(
      table(
        ["target", "p50", "p99", "max", "delivered", "server CPU", "gen CPU"],
        targets.map((t) => {
          const hs = half.filter((h) => h.target === t).map((h) => h.result);
          return [
            `${t} (×${hs.length})`,
            f(median(hs.map((h) => h.latency.p50))),
            f(p99(t)),
            f(median(hs.map((h) => h.latency.max))),
            `${f(median(hs.map((h) => (h.received / Math.max(1, h.sent)) * 100)))}%`,
            ...cpuCells(hs.map((h) => h.cpu)),
          ];
        }),
      ),
    );
    printNodeCpu((t) => half.filter((h) => h.target === t).map((h) => h.result.cpu));
    if (targets.includes("duet") && targets.includes("socketio")) {
      const r = p99("duet") / p99("socketio");
      print(`ratio duet/socketio p99: ${ratio(p99("duet"), p99("socketio"))}`);
      bars.push({
        n,
        bar: "relay at half that rate: Duet's p99 ≤ 1.5 × bare Socket.IO's",
        met: Number.isFinite(r) ? r <= 1.5 : null,
        detail: `${f(p99("duet"))} vs ${f(p99("socketio"))} ms = ${f(r, 2)}×`,
      });
    }
  }

  if (has("churn")) {
    const windows = targets.flatMap((t) =>
      of<ChurnSummary>(runs, "churn", t).map((r) => r.windowMs),
    );
    const over = [...new Set(windows)].map((ms) => `${ms / 1000} s`).join(", ");
    print(`\n### Churn (join, one message each way, leave, rejoin; counted over ${over})`);
    const mps = (t: string): number =>
      median(of<ChurnSummary>(runs, "churn", t).map((r) => r.matchesPerSec));
    print(
      table(
        [
          "target",
          "connected",
          "matches/s",
          "messages",
          "stuck >5 s",
          "rejected",
          "server CPU",
          "gen CPU",
        ],
        targets.map((t) => {
          const rs = of<ChurnSummary>(runs, "churn", t);
          return [
            `${t} (×${rs.length})`,
            int(median(rs.map((r) => r.connected))),
            int(mps(t)),
            int(median(rs.map((r) => r.messages))),
            int(median(rs.map((r) => r.stuck))),
            JSON.stringify(rs[0]?.rejected ?? {}),
            ...cpuCells(rs.map((r) => r.cpu)),
          ];
        }),
      ),
    );
    const churnRate = (r: unknown): number => (r as ChurnSummary).matchesPerSec;
    for (const t of ["socketio", "ws"]) {
      if (targets.includes(t as never) && targets.includes("duet"))
        print(
          `ratio duet/${t}: ${ratio(mps("duet"), mps(t))}${pairSpread(runs, "churn", "duet", t, churnRate)}`,
        );
    }
    for (const t of CLUSTER_TARGETS) {
      if (targets.includes(t) && targets.includes("duet"))
        print(
          `ratio ${t}/duet: ${ratio(mps(t), mps("duet"))}${pairSpread(runs, "churn", t, "duet", churnRate)}`,
        );
    }
    printNodeCpu((t) => of<ChurnSummary>(runs, "churn", t).map((r) => r.cpu));
    for (const t of targets) {
      const per = of<ChurnSummary>(runs, "churn", t).flatMap((r) =>
        r.packetsPerMatch ? [r.packetsPerMatch] : [],
      );
      if (per.length === 0) continue;
      const inn = median(per.map((p) => p.in));
      const out = median(per.map((p) => p.out));
      // Server CPU (all nodes, µs of one core) per match, at the rate the window counted.
      const cpuUs = median(
        of<ChurnSummary>(runs, "churn", t).map(
          (r) => ((r.cpu.serverPct / 100) * 1e6) / r.matchesPerSec,
        ),
      );
      print(
        `${t}: packets per match ${f(inn + out, 1)} (server → client ${f(inn, 1)}, client → server ${f(out, 1)}); server CPU per match ${f(cpuUs, 0)} µs`,
      );
    }
    for (const t of targets) {
      const per = of<ChurnSummary>(runs, "churn", t).flatMap((r) =>
        r.storePerMatch ? [r.storePerMatch] : [],
      );
      if (per.length === 0) continue;
      const ops = [...new Set(per.flatMap((p) => Object.keys(p.byOp)))].sort();
      const byOp = ops
        .map((op) => `${op} ${f(median(per.map((p) => p.byOp[op] ?? 0)), 2)}`)
        .join(", ");
      print(`${t}: store calls per match ${f(median(per.map((p) => p.total)), 2)} (${byOp})`);
    }
    // How many packets share a write: Duet's write batching against one write per packet.
    for (const t of targets) {
      const rs = of<ChurnSummary>(runs, "churn", t);
      const writes = writesText(
        rs.flatMap((r) => (r.writesPerMatch ? [r.writesPerMatch] : [])),
        median(rs.flatMap((r) => (r.packetsPerMatch ? [r.packetsPerMatch.in] : []))),
      );
      if (writes) print(`${t}: per match ${writes}`);
    }
    if (targets.includes("duet") && targets.includes("socketio")) {
      const r = mps("duet") / mps("socketio");
      bars.push({
        n,
        bar: "churn: ≥ 50 % of bare Socket.IO's matches/s",
        met: Number.isFinite(r) ? r >= 0.5 : null,
        detail: `${int(mps("duet"))} vs ${int(mps("socketio"))} = ${f(r * 100, 0)} %`,
      });
    }
  }

  if (has("memory")) {
    print("\n### Memory (server, per connected idle client, after forced GC)");
    const per = (t: string): number =>
      median(of<MemoryResult>(runs, "memory", t).map((r) => r.rssPerClient));
    print(
      table(
        [
          "target",
          "connected",
          "server sees",
          "RSS before MiB",
          "RSS after MiB",
          "RSS/client KiB",
          "heap/client KiB",
        ],
        targets.map((t) => {
          const rs = of<MemoryResult>(runs, "memory", t);
          return [
            `${t} (×${rs.length})`,
            int(median(rs.map((r) => r.connected))),
            int(median(rs.map((r) => r.serverConnections))),
            f(median(rs.map((r) => r.rssBefore / 2 ** 20))),
            f(median(rs.map((r) => r.rssAfter / 2 ** 20))),
            f(per(t) / 1024),
            f(median(rs.map((r) => r.heapPerClient / 1024))),
          ];
        }),
      ),
    );
    for (const t of ["socketio", "ws"]) {
      if (targets.includes(t as never) && targets.includes("duet"))
        print(`ratio duet/${t}: ${ratio(per("duet"), per(t))}`);
    }
    const clusterMem = of<MemoryResult>(runs, "memory", "duet-cluster");
    if (clusterMem.length > 0) {
      const k = Math.max(...clusterMem.map((r) => r.nodeConnections.length));
      const conns = Array.from({ length: k }, (_, i) =>
        int(median(clusterMem.map((r) => r.nodeConnections[i] ?? Number.NaN))),
      );
      print(
        `${label("duet-cluster")}: RSS and connections summed over the nodes; connections per node ${conns.join(" / ")}`,
      );
    }
    if (targets.includes("duet") && targets.includes("socketio")) {
      const r = per("duet") / per("socketio");
      bars.push({
        n,
        bar: "memory: per connected user ≤ 1.3 × bare Socket.IO's",
        met: Number.isFinite(r) ? r <= 1.3 : null,
        detail: `${f(per("duet") / 1024)} vs ${f(per("socketio") / 1024)} KiB = ${f(r, 2)}×`,
      });
    }
    const duet = of<MemoryResult>(runs, "memory", "duet");
    if (n >= 15_000 && duet.length > 0) {
      const worst = Math.min(...duet.map((r) => r.serverConnections));
      bars.push({
        n,
        bar: "15,000 connected users on one node process",
        met: worst >= 15_000,
        detail: `server counted ${int(worst)} connections`,
      });
    }
  }

  if (has("notice")) {
    print("\n### Partner notice (clean close → partner's ended event, ms)");
    const p99 = (t: string): number =>
      median(of<NoticeResult>(runs, "notice", t).map((r) => r.latency.p99));
    print(
      table(
        ["target", "closed", "noticed", "p50", "p95", "p99", "max", "server CPU", "gen CPU"],
        targets.map((t) => {
          const rs = of<NoticeResult>(runs, "notice", t);
          return [
            `${t} (×${rs.length})`,
            int(median(rs.map((r) => r.closed))),
            int(median(rs.map((r) => r.noticed))),
            f(median(rs.map((r) => r.latency.p50))),
            f(median(rs.map((r) => r.latency.p95))),
            f(p99(t)),
            f(median(rs.map((r) => r.latency.max))),
            ...cpuCells(rs.map((r) => r.cpu)),
          ];
        }),
      ),
    );
    printNodeCpu((t) => of<NoticeResult>(runs, "notice", t).map((r) => r.cpu));
    const duet = of<NoticeResult>(runs, "notice", "duet");
    if (duet.length > 0) {
      const worst = Math.max(...duet.map((r) => r.latency.p99));
      const missing = Math.max(...duet.map((r) => r.closed - r.noticed));
      bars.push({
        n,
        bar: "partner notice after a clean close: p99 < 100 ms",
        met: worst < 100 && missing === 0,
        detail: `worst p99 ${f(worst)} ms, notices missing ${missing}`,
      });
    }
  }
  return bars;
}

export function renderBars(bars: Bar[], print: (s: string) => void): void {
  if (bars.length === 0) return;
  print("\n## Bars (issue 6)");
  print(
    table(
      ["N", "bar", "result", "figures"],
      bars.map((b) => [
        int(b.n),
        b.bar,
        b.met === null ? "n/a" : b.met ? "met" : "MISSED",
        b.detail,
      ]),
    ),
  );
}

/**
 * "socket writes 9.10 to clients (0.99 packets each), 6.20 to services" from per-match (or
 * per-message) write counts, medians over the runs; `packetsIn` (server → client packets per
 * match) gives packets per client write. Empty when nothing was counted.
 */
export function writesText(per: readonly Record<string, number>[], packetsIn?: number): string {
  if (per.length === 0) return "";
  const clients = median(per.map((w) => w.clients ?? 0));
  const services = median(per.map((w) => w.services ?? 0));
  const each =
    packetsIn !== undefined && Number.isFinite(packetsIn) && clients > 0
      ? ` (${f(packetsIn / clients, 2)} packets each)`
      : "";
  return `socket writes ${f(clients, 2)} to clients${each}${
    services > 0 ? `, ${f(services, 2)} to services` : ""
  }`;
}
