/**
 * A mergeable latency histogram (milliseconds) with bounded memory, so generators can send their
 * samples to the coordinator over IPC however many messages they saw.
 *
 * Buckets: 10 µs wide below 10 ms, 100 µs below 100 ms, 1 ms below 10 s; anything longer lands
 * in one overflow bucket (the exact maximum is kept separately). A percentile is reported as the
 * upper edge of its bucket, so it is at most one bucket width high (≤ 10 % above 1 ms).
 */
const FINE = 1000; // 0–10 ms by 0.01
const MID = 900; // 10–100 ms by 0.1
const COARSE = 9900; // 100 ms–10 s by 1
export const BUCKETS = FINE + MID + COARSE + 1;

export interface HistogramData {
  counts: number[];
  count: number;
  max: number;
  sum: number;
}

export class Histogram {
  counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;
  sum = 0;

  record(ms: number): void {
    const v = Math.max(ms, 0);
    let i: number;
    if (v < 10) i = Math.floor(v * 100);
    else if (v < 100) i = FINE + Math.floor((v - 10) * 10);
    else if (v < 10_000) i = FINE + MID + Math.floor(v - 100);
    else i = BUCKETS - 1;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.count += 1;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  merge(data: HistogramData): void {
    for (let i = 0; i < BUCKETS; i++)
      this.counts[i] = (this.counts[i] ?? 0) + (data.counts[i] ?? 0);
    this.count += data.count;
    this.sum += data.sum;
    if (data.max > this.max) this.max = data.max;
  }

  /** Sparse enough for IPC: trailing zeros trimmed. */
  toData(): HistogramData {
    let last = BUCKETS - 1;
    while (last >= 0 && this.counts[last] === 0) last--;
    return {
      counts: Array.from(this.counts.subarray(0, last + 1)),
      count: this.count,
      max: this.max,
      sum: this.sum,
    };
  }

  static from(parts: readonly HistogramData[]): Histogram {
    const h = new Histogram();
    for (const p of parts) h.merge(p);
    return h;
  }

  /** p in [0, 100]; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.count ? this.max : Number.NaN,
      mean: this.count ? this.sum / this.count : Number.NaN,
    };
  }
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

function upperEdge(i: number): number {
  if (i < FINE) return (i + 1) / 100;
  if (i < FINE + MID) return 10 + (i - FINE + 1) / 10;
  if (i < BUCKETS - 1) return 100 + (i - FINE - MID + 1);
  return Number.POSITIVE_INFINITY;
}
