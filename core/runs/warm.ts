/**
 * @module
 * Warming: the tick, a single scheduled invocation, prepares ahead of time what the dispatches of
 * the runs it just enqueued will share, so a burst does not race for it. For ECS that is the task
 * definition: without warming, the cold function instances a burst starts all miss it at once and
 * several register a revision (the registry's jitter narrows that race but cannot close it); with
 * warming the tick registers it alone, seconds to minutes before delivery, and every dispatch
 * finds it.
 *
 * One run per distinct (deployment, flow, job variables) is rendered and handed to the backend's
 * `warm`; at most {@link MAX_WARM_PER_TICK} per pool and tick. Warming is an optimisation only:
 * every failure is logged and ignored (the dispatch does the same work, and reports its errors).
 */

import type { FlowRun, WorkPool } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import { describeError } from "../shared/errors.ts";
import { renderConfiguration } from "./dispatch.ts";

/** Distinct specs warmed per pool per tick (the rest are resolved by their dispatches). */
export const MAX_WARM_PER_TICK = 10;

/** Warms the infrastructure of `runs` (one pool's runs); returns how many specs it warmed. */
export async function warmRuns(pool: WorkPool, runs: readonly FlowRun[], deps: Deps): Promise<number> {
  const backend = deps.backends.get(pool.type);
  if (!backend?.warm || runs.length === 0) return 0;
  const warm = backend.warm.bind(backend);
  const picked = new Map<string, FlowRun>();
  for (const run of runs) {
    const key = `${run.deployment_id ?? ""}|${run.flow_id}|${JSON.stringify(run.job_variables ?? {})}`;
    if (!picked.has(key)) picked.set(key, run);
    if (picked.size >= MAX_WARM_PER_TICK) break;
  }
  let warmed = 0;
  for (const run of picked.values()) {
    try {
      const [deployment, flow] = await Promise.all([
        run.deployment_id ? deps.api.readDeployment(run.deployment_id) : Promise.resolve(null),
        deps.api.readFlow(run.flow_id),
      ]);
      if (!flow || (run.deployment_id && !deployment)) continue;
      const ctx = { flowRun: run, pool: { name: pool.name, type: pool.type } };
      const config = await renderConfiguration(run, { deployment, flow, pool, backend }, deps);
      await warm(backend.prepare(config, ctx), ctx);
      warmed++;
    } catch (error) {
      deps.logger.warn("could not warm the infrastructure of a run; its dispatch will", {
        flowRunId: run.id,
        pool: pool.name,
        reason: describeError(error),
      });
    }
  }
  return warmed;
}
