/**
 * @module
 * The schedule of `npm run bench:gcp` / `npm run bench:azure` (bench/cloudBench.ts): the settings
 * read from `<prefix>_*` variables, and the instants — pushpool's windows (scheduled − lead) every
 * `intervalSeconds` from t0, the worker's (scheduled − its prefetch) `workerOffsetSeconds` after
 * each, so the two sides' bursts do not share the CPUs.
 */
import type { Instant } from "./awsReport.ts";
import { envNumber } from "./plan.ts";

export type CloudBenchConfig = ReturnType<typeof readConfig>;

export function readConfig(prefix: string, env: Record<string, string | undefined>) {
  const num = (name: string, fallback: number, min: number) =>
    envNumber(env, `${prefix}_${name}`, fallback, min);
  const instants = Math.round(num("INSTANTS", 4, 1));
  const runsPerInstant = Math.round(num("RUNS_PER_INSTANT", 30, 1));
  const c = {
    instants,
    runsPerInstant,
    intervalSeconds: num("INTERVAL_SECONDS", 60, 10),
    workerOffsetSeconds: num("WORKER_OFFSET_SECONDS", 30, 0),
    aheadSeconds: num("AHEAD_SECONDS", 60 + 0.4 * 2 * instants * runsPerInstant, 10),
    tickBeforeSeconds: num("TICK_BEFORE_SECONDS", 50, 1),
    runSeconds: num("RUN_SECONDS", 20, 1),
    settleSeconds: num("SETTLE_SECONDS", 120, 10),
  };
  if (c.workerOffsetSeconds >= c.intervalSeconds)
    throw new Error(`${prefix}_WORKER_OFFSET_SECONDS must be smaller than ${prefix}_INTERVAL_SECONDS`);
  return c;
}

export function planInstants(
  cfg: CloudBenchConfig,
  t0: number,
  leadSeconds: number,
  workerLeadSeconds: number,
): Instant[] {
  const instants: Instant[] = [];
  for (let k = 0; k < cfg.instants; k++) {
    const open = t0 + k * cfg.intervalSeconds * 1000;
    const wkOpen = open + cfg.workerOffsetSeconds * 1000;
    instants.push({ side: "pushpool", index: k, open, scheduled: open + leadSeconds * 1000, runIds: [] });
    instants.push({
      side: "worker",
      index: k,
      open: wkOpen,
      scheduled: wkOpen + workerLeadSeconds * 1000,
      runIds: [],
    });
  }
  return instants;
}
