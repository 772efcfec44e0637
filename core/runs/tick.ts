/**
 * @module
 * The tick: run by a cloud scheduler (or the local stack's timer) every `tickSeconds`. For each
 * served pool it heartbeats as a worker (so the pool shows READY; ./heartbeat.ts), asks Prefect for the scheduled
 * runs due within the horizon, and enqueues each one whose delivery time (`scheduled − lead`) falls
 * before the next tick (plus a margin), delayed until then. Runs further ahead are left to a later
 * tick, so a future run is enqueued once, not once per tick. A run still unclaimed after its message
 * was delivered is enqueued again, but a warm tick waits a few ticks for that message first
 * (./tickMemo.ts) instead of adding a duplicate on every tick. Each message carries the run as the
 * query answered it (./runSnapshot.ts), so its dispatch does not read it again. Then it warms what
 * those runs' dispatches will share (./warm.ts: the ECS task definition), so a burst does not race
 * for it.
 * Last, it removes the infrastructure of runs that ended (./cleanup.ts), where the backend can.
 */

import type { WorkerFlowRunResponse } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import type { DispatchMessage } from "../runtime/messages.ts";
import { describeError, ValidationError } from "../shared/errors.ts";
import { cleanupFinished } from "./cleanup.ts";
import { heartbeatIfDue } from "./heartbeat.ts";
import { sweepLeasesNow } from "./leaseSweep.ts";
import { snapshotOf } from "./runSnapshot.ts";
import { MAX_EXTRA_PAGES, MAX_RUNS_PER_QUERY, scheduledRuns } from "./scheduledRuns.ts";
import { tickMemo } from "./tickMemo.ts";
import { warmRuns } from "./warm.ts";

export interface TickOptions {
  pools: readonly string[];
  /** Only runs from these work queues (Prefect's `work_queue_names`); empty or unset: all. */
  workQueues?: readonly string[];
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

export interface PoolTick {
  pool: string;
  enqueued: number;
  /** Due runs not enqueued again: this instance enqueued them recently (omitted when 0). */
  held?: number;
  /** Distinct infrastructure specs prepared ahead of the dispatches (core/warm.ts; omitted when 0). */
  warmed?: number;
  /** Finished runs whose backend was asked to remove their infrastructure (./cleanup.ts; omitted when 0). */
  cleaned?: number;
  error?: string;
}

export async function tick(options: TickOptions, deps: Deps): Promise<PoolTick[]> {
  tickMemo(deps.queue).advance(deps.clock.now().getTime());
  const [ticks] = await Promise.all([
    Promise.all(options.pools.map((pool) => tickPool(pool, options, deps))),
    sweepLeasesNow(deps),
  ]);
  return ticks;
}

async function tickPool(pool: string, options: TickOptions, deps: Deps): Promise<PoolTick> {
  const now = deps.clock.now();
  try {
    const [, workPool] = await Promise.all([
      heartbeatIfDue(pool, options.tickSeconds, deps),
      deps.api.readWorkPool(pool),
    ]);
    if (!workPool) throw new ValidationError(`work pool '${pool}' not found`);
    if (!deps.backends.has(workPool.type))
      throw new ValidationError(`no backend serves pool type '${workPool.type}' (pool '${pool}')`);
    const lead = deps.leadSeconds(workPool.type);
    const rate = options.burstRate ?? DEFAULT_BURST_RATE;
    // Look at least as far ahead as the next tick's window plus the lead and the longest burst
    // advance (as many runs as ./scheduledRuns.ts reads), or a burst's first deliveries are late.
    const most = (MAX_EXTRA_PAGES + 1) * MAX_RUNS_PER_QUERY;
    const reach = options.tickSeconds + TICK_MARGIN_SECONDS + lead + Math.ceil(most / rate);
    const before = new Date(now.getTime() + Math.max(options.horizonSeconds, reach) * 1000);
    const responses = await scheduledRuns(workPool, before, deps, options.workQueues);
    const windowEnd = now.getTime() + (options.tickSeconds + TICK_MARGIN_SECONDS) * 1000;
    const times = deliveryTimes(responses, lead, rate, now);
    const memo = tickMemo(deps.queue);
    const due = responses.filter((r) => (times.get(r.flow_run.id)?.at ?? 0) < windowEnd);
    const fresh = due.filter((r) => {
      const t = times.get(r.flow_run.id);
      return !t || !memo.held(r.flow_run.id, t.due, now.getTime());
    });
    await Promise.all(
      fresh.map(async (r) => {
        const t = times.get(r.flow_run.id) ?? { due: now.getTime(), at: now.getTime() };
        await enqueue(pool, r, t.at, now, deps);
        memo.remember(r.flow_run.id, t.due, t.at);
      }),
    );
    const held = due.length - fresh.length;
    if (fresh.length)
      deps.logger.info("tick enqueued runs", { pool, count: fresh.length, held, seen: responses.length });
    // After the enqueues (never instead of them): shared infrastructure ready before the burst.
    const warmed = await warmRuns(
      workPool,
      fresh.map((r) => r.flow_run),
      deps,
    );
    // Last, best effort, never throws: infrastructure of runs that ended (no query for pools whose
    // backend has no cleanup).
    const cleaned = await cleanupFinished(workPool, options.tickSeconds, deps);
    return {
      pool,
      enqueued: fresh.length,
      ...(held ? { held } : {}),
      ...(warmed ? { warmed } : {}),
      ...(cleaned ? { cleaned } : {}),
    };
  } catch (error) {
    deps.logger.error("tick failed for pool", { pool, error: describeError(error) });
    return { pool, enqueued: 0, error: describeError(error) };
  }
}

/** Slack for a late or jittery scheduler: runs this close past the next tick are enqueued now. */
export const TICK_MARGIN_SECONDS = 2;

/** Default dispatches per second a Prefect server sustains (measured: bench/aws.bench.ts). */
export const DEFAULT_BURST_RATE = 10;

/**
 * Per run: its scheduled time (`due`) and its delivery time (`at`): scheduled − lead. A burst of n
 * runs at one second (n > rate) starts ⌈n ÷ rate⌉ s earlier and is paced: `rate` runs per second,
 * the last of them at scheduled − lead − 1 s. All of one second at once would make the Prefect
 * server (SQLite above all) answer 503 to many of the burst's concurrent writes.
 */
function deliveryTimes(responses: WorkerFlowRunResponse[], lead: number, rate: number, now: Date) {
  const base = new Map<string, { due: number; at: number }>();
  const perSecond = new Map<number, number>();
  for (const { flow_run: run } of responses) {
    const scheduled = Date.parse(run.next_scheduled_start_time ?? run.expected_start_time ?? "");
    const due = Number.isFinite(scheduled) ? scheduled : now.getTime();
    const at = due - lead * 1000;
    base.set(run.id, { due, at });
    const second = Math.floor(at / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  const times = new Map<string, { due: number; at: number }>();
  const placed = new Map<number, number>();
  // Prefect orders runs due at one time arbitrarily: by id, a run keeps its place from tick to tick.
  const ordered = [...base].sort(([a, x], [b, y]) => x.at - y.at || (a < b ? -1 : a > b ? 1 : 0));
  for (const [id, { due, at }] of ordered) {
    const second = Math.floor(at / 1000);
    const n = perSecond.get(second) ?? 1;
    if (n <= rate) {
      times.set(id, { due, at });
      continue;
    }
    const k = placed.get(second) ?? 0; // this run's place in its burst
    placed.set(second, k + 1);
    times.set(id, { due, at: at - Math.ceil(n / rate) * 1000 + Math.floor(k / rate) * 1000 });
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
  const snapshot = snapshotOf(run, now); // the dispatch need not read the run again
  if (snapshot) message.snapshot = snapshot;
  const delaySeconds = Math.max(0, (at - now.getTime()) / 1000);
  await deps.queue.send(message, { delaySeconds });
}
