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
}

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
    // Look at least as far ahead as the next tick's window plus the lead, or runs would be seen late.
    const horizon = Math.max(options.horizonSeconds, options.tickSeconds + TICK_MARGIN_SECONDS + lead);
    const responses = await deps.api.getScheduledFlowRuns(pool, {
      scheduledBefore: new Date(now.getTime() + horizon * 1000),
    });
    const windowEnd = now.getTime() + (options.tickSeconds + TICK_MARGIN_SECONDS) * 1000;
    const due = responses.filter((r) => deliverAt(r, lead, now) < windowEnd);
    await Promise.all(due.map((r) => enqueue(pool, r, lead, now, deps)));
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

function deliverAt(r: WorkerFlowRunResponse, lead: number, now: Date): number {
  const run = r.flow_run;
  const due = Date.parse(run.next_scheduled_start_time ?? run.expected_start_time ?? "");
  return (Number.isFinite(due) ? due : now.getTime()) - lead * 1000;
}

async function enqueue(pool: string, r: WorkerFlowRunResponse, lead: number, now: Date, deps: Deps) {
  const run = r.flow_run;
  const at = deliverAt(r, lead, now);
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
