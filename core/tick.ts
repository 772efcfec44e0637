/**
 * @module
 * The tick: run by a cloud scheduler (or the local stack's timer) every `tickSeconds`. For each
 * served pool it heartbeats as a worker (so the pool shows READY) and enqueues every scheduled run
 * due within the horizon, delivered at `scheduled time − lead`.
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
    const [, responses] = await Promise.all([
      deps.api.heartbeat(pool, deps.workerName, Math.max(1, Math.round(options.tickSeconds))),
      deps.api.getScheduledFlowRuns(pool, {
        scheduledBefore: new Date(now.getTime() + options.horizonSeconds * 1000),
      }),
    ]);
    const poolType = (await poolTypeOf(deps, pool, responses)) ?? "process";
    const lead = deps.leadSeconds(poolType);
    await Promise.all(responses.map((r) => enqueue(pool, r, lead, now, deps)));
    if (responses.length) deps.logger.info("tick enqueued runs", { pool, count: responses.length });
    return { pool, enqueued: responses.length };
  } catch (error) {
    deps.logger.error("tick failed for pool", { pool, error: describeError(error) });
    return { pool, enqueued: 0, error: describeError(error) };
  }
}

async function poolTypeOf(deps: Deps, pool: string, responses: WorkerFlowRunResponse[]) {
  if (responses.length === 0) return null;
  return (await deps.api.readWorkPool(pool))?.type ?? null;
}

async function enqueue(pool: string, r: WorkerFlowRunResponse, lead: number, now: Date, deps: Deps) {
  const run = r.flow_run;
  const due = Date.parse(run.next_scheduled_start_time ?? run.expected_start_time ?? now.toISOString());
  const deliverAt = due - lead * 1000;
  const message: DispatchMessage = {
    v: 1,
    kind: "dispatch",
    flowRunId: run.id,
    pool,
    notBefore: new Date(deliverAt).toISOString(),
    source: "tick",
  };
  const delaySeconds = Math.max(0, Math.floor((deliverAt - now.getTime()) / 1000));
  await deps.queue.send(message, { delaySeconds });
}
