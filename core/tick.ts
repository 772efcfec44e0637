/**
 * @module
 * The tick: run by a cloud scheduler (or the local stack's timer) every `tickSeconds`. For each
 * served pool it heartbeats as a worker (so the pool shows READY), asks Prefect for the scheduled
 * runs due within the horizon, and enqueues each one whose delivery time (`scheduled − lead`) falls
 * before the next tick (plus a margin), delayed until then. Runs further ahead are left to a later
 * tick, so a future run is enqueued once, not once per tick; runs already overdue are enqueued
 * again on every tick until someone claims them.
 */
import type { Deps } from "./context.ts";
import { describeError } from "./errors.ts";
import type { DispatchMessage } from "./messages.ts";
import type { WorkerFlowRunResponse } from "./prefect/types.ts";

export interface TickOptions {
  pools: readonly string[];
  tickSeconds: number;
  horizonSeconds: number;
  /**
   * Dispatches per second the Prefect API sustains (default 10). When more runs than that are due
   * at one instant, their delivery starts `n ÷ rate` seconds earlier, so the last of the burst is
   * submitted by `scheduled − lead` instead of seconds after it (the flows still start on time:
   * the engine waits for the scheduled time).
   */
  burstRate?: number;
}

/** The most runs one `get_scheduled_flow_runs` returns (Prefect's limit). */
const MAX_RUNS_PER_QUERY = 200;

export interface PoolTick {
  pool: string;
  enqueued: number;
  error?: string;
}

export async function tick(options: TickOptions, deps: Deps): Promise<PoolTick[]> {
  return await Promise.all(options.pools.map((pool) => tickPool(pool, options, deps)));
}

async function tickPool(pool: string, options: TickOptions, deps: Deps): Promise<PoolTick> {
  const now = deps.clock.now();
  try {
    const [, workPool] = await Promise.all([
      deps.api.heartbeat(pool, deps.workerName, Math.max(1, Math.round(options.tickSeconds))),
      deps.api.readWorkPool(pool),
    ]);
    const lead = deps.leadSeconds(workPool?.type ?? "process");
    const rate = options.burstRate ?? DEFAULT_BURST_RATE;
    // Look at least as far ahead as the next tick's window plus the lead (and the longest burst
    // advance), or runs would be seen late.
    const reach = options.tickSeconds + TICK_MARGIN_SECONDS + lead + Math.ceil(MAX_RUNS_PER_QUERY / rate);
    const responses = await deps.api.getScheduledFlowRuns(pool, {
      scheduledBefore: new Date(now.getTime() + Math.max(options.horizonSeconds, reach) * 1000),
    });
    const windowEnd = now.getTime() + (options.tickSeconds + TICK_MARGIN_SECONDS) * 1000;
    const times = deliveryTimes(responses, lead, rate, now);
    const due = responses.filter((r) => (times.get(r.flow_run.id) ?? 0) < windowEnd);
    await Promise.all(due.map((r) => enqueue(pool, r, times.get(r.flow_run.id) ?? now.getTime(), now, deps)));
    if (due.length)
      deps.logger.info("tick enqueued runs", { pool, count: due.length, seen: responses.length });
    return { pool, enqueued: due.length };
  } catch (error) {
    deps.logger.error("tick failed for pool", { pool, error: describeError(error) });
    return { pool, enqueued: 0, error: describeError(error) };
  }
}

/** Slack for a late or jittery scheduler: runs this close past the next tick are enqueued now. */
export const TICK_MARGIN_SECONDS = 2;

/** Default dispatches per second a Prefect server sustains (measured: bench/aws.bench.ts). */
export const DEFAULT_BURST_RATE = 10;

/** Delivery time per run: scheduled − lead, earlier by ⌈n ÷ rate⌉ s for a burst of n at one second. */
function deliveryTimes(responses: WorkerFlowRunResponse[], lead: number, rate: number, now: Date) {
  const base = new Map<string, number>();
  const perSecond = new Map<number, number>();
  for (const { flow_run: run } of responses) {
    const due = Date.parse(run.next_scheduled_start_time ?? run.expected_start_time ?? "");
    const at = (Number.isFinite(due) ? due : now.getTime()) - lead * 1000;
    base.set(run.id, at);
    const second = Math.floor(at / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  const times = new Map<string, number>();
  for (const [id, at] of base) {
    const n = perSecond.get(Math.floor(at / 1000)) ?? 1;
    times.set(id, n > rate ? at - Math.ceil(n / rate) * 1000 : at);
  }
  return times;
}

async function enqueue(pool: string, r: WorkerFlowRunResponse, at: number, now: Date, deps: Deps) {
  const run = r.flow_run;
  const message: DispatchMessage = {
    v: 1,
    kind: "dispatch",
    flowRunId: run.id,
    pool,
    notBefore: new Date(at).toISOString(),
    source: "tick",
  };
  const delaySeconds = Math.max(0, (at - now.getTime()) / 1000);
  await deps.queue.send(message, { delaySeconds });
}
