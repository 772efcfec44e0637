/**
 * @module
 * Small statistics for the benchmarks. Percentiles use linear interpolation between closest ranks
 * (the "type 7" definition, numpy's default): p50 of [1, 2, 3, 4] is 2.5, p95 of 50 samples lies
 * between the 47th and 48th smallest. Empty input gives `null`, never a made-up number.
 */

export interface Summary {
  n: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
  min: number | null;
  mean: number | null;
}

/** The q-quantile (0 ≤ q ≤ 1) of `values`, or null when there are none. */
export function quantile(values: readonly number[], q: number): number | null {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  return {
    n,
    p50: quantile(finite, 0.5),
    p95: quantile(finite, 0.95),
    max: n ? Math.max(...finite) : null,
    min: n ? Math.min(...finite) : null,
    mean: n ? finite.reduce((s, v) => s + v, 0) / n : null,
  };
}

/** Formats seconds (or any number) with a fixed number of decimals; null as "–". */
export function fmt(value: number | null | undefined, decimals = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(decimals);
}
