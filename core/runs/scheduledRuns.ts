/**
 * @module
 * The scheduled runs of a pool due before a time, for the tick, beyond Prefect's 200 per query.
 * `get_scheduled_flow_runs` (the workers' query: paused queues and concurrency limits applied)
 * answers at most PREFECT_SERVER_API_DEFAULT_LIMIT (200) runs and has no offset: of a burst of
 * 1,000 runs due at one second a tick would see the same 200 until they leave Scheduled, a minute
 * later at best. When its answer is full, the rest comes from `/flow_runs/filter` (Scheduled runs
 * of the pool, expected start ascending, pages of 200 by offset), kept only where Prefect's own
 * query would have served it: queues that query answered from, pools without a concurrency limit,
 * no in-process retries. A run a page misses (the offsets shift as runs are claimed) is seen by the
 * next tick.
 */
import type { WorkerFlowRunResponse, WorkPool } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";

/** The most runs one Prefect query returns (PREFECT_SERVER_API_DEFAULT_LIMIT's default). */
export const MAX_RUNS_PER_QUERY = 200;

/** Pages read beyond the first answer: up to 2,200 runs per tick and pool. */
export const MAX_EXTRA_PAGES = 10;

export async function scheduledRuns(
  pool: WorkPool,
  scheduledBefore: Date,
  deps: Pick<Deps, "api">,
  workQueueNames?: readonly string[],
): Promise<WorkerFlowRunResponse[]> {
  const first = await deps.api.getScheduledFlowRuns(pool.name, {
    scheduledBefore,
    workQueueNames: workQueueNames?.length ? [...workQueueNames] : undefined,
  });
  if (first.length < MAX_RUNS_PER_QUERY || pool.concurrency_limit != null) return first;
  const queues = new Set(first.map((r) => r.work_queue_id));
  const seen = new Set(first.map((r) => r.flow_run.id));
  const out = [...first];
  const poolId = first[0]?.work_pool_id ?? pool.id;
  for (let page = 0; page < MAX_EXTRA_PAGES; page++) {
    const runs = await deps.api.filterFlowRuns({
      workPoolNames: [pool.name],
      stateTypes: ["SCHEDULED"],
      scheduledBefore,
      sort: "ID_DESC",
      limit: MAX_RUNS_PER_QUERY,
      offset: page * MAX_RUNS_PER_QUERY,
    });
    for (const run of runs) {
      const queue = typeof run.work_queue_id === "string" ? run.work_queue_id : "";
      if (seen.has(run.id) || !queues.has(queue)) continue;
      if (run.empirical_policy?.retry_type === "in_process") continue;
      seen.add(run.id);
      out.push({ work_pool_id: poolId, work_queue_id: queue, flow_run: run });
    }
    if (runs.length < MAX_RUNS_PER_QUERY) break;
  }
  return out;
}
