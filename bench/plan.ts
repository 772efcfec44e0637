/**
 * @module
 * The benchmark's schedule. Each side gets `ceil(runs / groupSize)` groups; all runs of a group
 * share one scheduled time (as a cron firing several deployments would). Side A's group g is at
 * `firstAt + g × interval`, side B's at `+ offset`, so the two sides alternate and each group has
 * `offset` (resp. `interval − offset`) seconds of the machine to itself before the other side's
 * next group is due. Settings come from the environment (see {@link readBenchConfig}).
 *
 * Why 43 s and 15 s (2 cores): a group of 5 flow processes started together keeps both cores busy
 * for 6–12 s. pushpool's processes start `lead` (15 s) before their time, are up and waiting a
 * few seconds before it and done ~1 s after it; the worker claims 0–10 s before its time (10 s
 * poll, 10 s prefetch), i.e. at the earliest 5 s after pushpool's group finished, and needs
 * 10–15 s from claim to Running; pushpool's next group starts 43 − 15 − 15 = 13 s after the
 * worker's latest claim. 43 is not a multiple of the worker's 10 s poll: each group falls 3 s
 * later in its poll cycle than the previous one, so ten groups cover every phase once instead
 * of hitting the same lucky or unlucky phase every time.
 */

export type Side = "pushpool" | "worker";

export interface BenchConfig {
  /** Runs per side (BENCH_RUNS, default 50). */
  runs: number;
  /** Runs per group (BENCH_GROUP_SIZE, default 5). */
  groupSize: number;
  /** Seconds between two groups of the same side (BENCH_GROUP_INTERVAL_SECONDS, default 43). */
  intervalSeconds: number;
  /** Seconds from a pushpool group to the next worker group (BENCH_SIDE_OFFSET_SECONDS, default 15). */
  offsetSeconds: number;
  /** How far after creation the first group is scheduled (BENCH_SCHEDULE_AHEAD_SECONDS, default 30). */
  aheadSeconds: number;
  /** Extra seconds to wait for runs to finish after the last one is due (BENCH_SETTLE_SECONDS). */
  settleSeconds: number;
}

export interface PlannedRun {
  side: Side;
  group: number;
  name: string;
  scheduled: Date;
}

/** A numeric bench setting: `fallback` when unset, an error naming it when not a number ≥ `min`. */
export function envNumber(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}`);
  return value;
}

export function readBenchConfig(env: Record<string, string | undefined>): BenchConfig {
  const num = (name: string, fallback: number, min: number) => envNumber(env, name, fallback, min);
  const config: BenchConfig = {
    runs: Math.round(num("BENCH_RUNS", 50, 1)),
    groupSize: Math.round(num("BENCH_GROUP_SIZE", 5, 1)),
    intervalSeconds: num("BENCH_GROUP_INTERVAL_SECONDS", 43, 1),
    offsetSeconds: num("BENCH_SIDE_OFFSET_SECONDS", 15, 0),
    aheadSeconds: num("BENCH_SCHEDULE_AHEAD_SECONDS", 30, 0),
    settleSeconds: num("BENCH_SETTLE_SECONDS", 180, 10),
  };
  if (config.offsetSeconds >= config.intervalSeconds)
    throw new Error("BENCH_SIDE_OFFSET_SECONDS must be smaller than BENCH_GROUP_INTERVAL_SECONDS");
  return config;
}

export function planRuns(config: BenchConfig, firstAtMs: number): PlannedRun[] {
  const groups = Math.ceil(config.runs / config.groupSize);
  const out: PlannedRun[] = [];
  for (let g = 0; g < groups; g++) {
    const size = Math.min(config.groupSize, config.runs - g * config.groupSize);
    for (const side of ["pushpool", "worker"] as const) {
      const at =
        firstAtMs + (g * config.intervalSeconds + (side === "worker" ? config.offsetSeconds : 0)) * 1000;
      for (let i = 0; i < size; i++) {
        const name = `${side === "pushpool" ? "pp" : "wk"}-g${String(g).padStart(2, "0")}-${i}`;
        out.push({ side, group: g, name, scheduled: new Date(at) });
      }
    }
  }
  return out;
}
