/**
 * @module
 * The one place core removes finished infrastructure, through the backend's optional `cleanup`
 * (a job deleted unless the pool keeps it, a container group stopped or deleted…: what "removed"
 * means, and whether the pool's settings keep it, is the backend's business). Prefect's workers do
 * this in the poll loop that watched the run; pushpool has none, so two best-effort triggers:
 *
 * - the infrastructure event of a stop, once its report is made and the run is final
 *   (./infraEvents.ts, when the runtime hands it its deps);
 * - the tick ({@link cleanupFinished}): for a pool whose backend has `cleanup`, one
 *   `/flow_runs/filter` query for its runs in a final state that ended in the last
 *   {@link CLEANUP_WINDOW_TICKS} ticks. A run that ended less than {@link CLEANUP_SETTLE_TICKS}
 *   tick ago is left to the next tick: the flow reports its end before its container exits, and a
 *   backend leaves infrastructure that is still running. At most {@link MAX_CLEANUPS_PER_TICK}
 *   per pool and tick, {@link CONCURRENCY} side by side. Pools whose backend has no `cleanup`
 *   cost nothing: no query.
 *
 * For one run ({@link cleanupRun}): read it again (still final, the same pid), render its job
 * configuration as reconcile and cancel do (credentials, region and the keep settings come from
 * it), call `cleanup` once. Gone already is success. A transient failure is logged and left to the
 * next tick. A deleted deployment leaves the infrastructure alone (its job variables may say to
 * keep it). Nothing here throws into its caller. What was cleaned is remembered per warm instance
 * (bounded, {@link CLEANED_MEMORY}), so a pid is not cleaned twice by one instance.
 */

import type { BackendContext } from "../ports/backend.ts";
import type { Deployment, Flow, FlowRun, StateType, WorkPool } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import { describeError, InfrastructureNotFoundError, PushpoolError } from "../shared/errors.ts";
import { renderConfiguration } from "./dispatch.ts";
import { loadPool } from "./pools.ts";

/** The final states whose infrastructure is removed. */
export const FINAL_STATE_TYPES: readonly StateType[] = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"];
/** How far back (in ticks) the tick looks for runs that ended. */
export const CLEANUP_WINDOW_TICKS = 5;
/** A run that ended less than this many ticks ago is cleaned by a later tick. */
export const CLEANUP_SETTLE_TICKS = 1;
/** The most runs one tick's query returns (Prefect's default page). */
export const CLEANUP_PAGE = 200;
/** The most runs one tick cleans per pool (the rest wait for the next tick, still in the window). */
export const MAX_CLEANUPS_PER_TICK = 100;
/** Cleanups one tick makes side by side. */
const CONCURRENCY = 4;
/** Pids one warm instance remembers as cleaned (the oldest are forgotten first). */
export const CLEANED_MEMORY = 2000;

export type CleanupOutcome = "cleaned" | "skipped" | "failed";

/** Removes what the tick finds finished in `pool`; returns how many pids it cleaned. */
export async function cleanupFinished(pool: WorkPool, tickSeconds: number, deps: Deps): Promise<number> {
  if (!deps.backends.get(pool.type)?.cleanup) return 0; // no request for these pools
  try {
    const now = deps.clock.now().getTime();
    const settled = now - CLEANUP_SETTLE_TICKS * tickSeconds * 1000;
    const runs = await deps.api.filterFlowRuns({
      workPoolNames: [pool.name],
      stateTypes: [...FINAL_STATE_TYPES],
      endTimeAfter: new Date(now - CLEANUP_WINDOW_TICKS * tickSeconds * 1000),
      limit: CLEANUP_PAGE,
    });
    const memo = cleanedMemo(deps.backends);
    const due = runs
      .filter(
        (r) =>
          r.infrastructure_pid &&
          !memo.has(r.id, r.infrastructure_pid) &&
          Date.parse(r.end_time ?? "") <= settled,
      )
      .slice(0, MAX_CLEANUPS_PER_TICK);
    if (due.length === 0) return 0;
    const api = passReads(deps.api);
    // A pool created without a template renders with its type's default, as dispatch renders it.
    const full = hasTemplate(pool) ? pool : ((await loadPool(api, pool.name)) ?? pool);
    let cleaned = 0;
    for (let i = 0; i < due.length; i += CONCURRENCY) {
      const outcomes = await Promise.all(
        due.slice(i, i + CONCURRENCY).map((r) => cleanupRun(r.id, { ...deps, api }, full)),
      );
      cleaned += outcomes.filter((o) => o === "cleaned").length;
    }
    if (cleaned) deps.logger.info("removed finished infrastructure", { pool: pool.name, count: cleaned });
    return cleaned;
  } catch (error) {
    deps.logger.warn("could not look for finished infrastructure", {
      pool: pool.name,
      error: describeError(error),
    });
    return 0;
  }
}

/**
 * Removes the infrastructure of one run in a final state, once per warm instance. `pool` saves
 * a read when the caller has it. Never throws.
 */
export async function cleanupRun(flowRunId: string, deps: Deps, pool?: WorkPool): Promise<CleanupOutcome> {
  let pid: string | null = null;
  try {
    const run = await deps.api.readFlowRun(flowRunId);
    pid = run?.infrastructure_pid ?? null;
    const type = run?.state?.type;
    if (!run || !pid || !type || !FINAL_STATE_TYPES.includes(type)) return "skipped";
    const memo = cleanedMemo(deps.backends);
    if (memo.has(run.id, pid)) return "skipped";
    const workPool = pool ?? (run.work_pool_name ? await loadPool(deps.api, run.work_pool_name) : null);
    const backend = workPool ? deps.backends.get(workPool.type) : undefined;
    if (!workPool || !backend?.cleanup) return "skipped";
    const target = await readTarget(run, deps);
    if (!target) {
      deps.logger.info("infrastructure left in place: the run's deployment or flow no longer exists", {
        flowRunId,
        pid,
      });
      memo.add(run.id, pid);
      return "skipped";
    }
    const config = await renderConfiguration(run, { ...target, pool: workPool, backend }, deps);
    const ctx: BackendContext = { flowRun: run, pool: { name: workPool.name, type: workPool.type } };
    try {
      await backend.cleanup(pid, config, ctx);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    memo.add(run.id, pid);
    deps.logger.debug("cleaned up finished infrastructure", { flowRunId, pid });
    return "cleaned";
  } catch (error) {
    deps.logger.warn("could not remove finished infrastructure; the next tick tries again", {
      flowRunId,
      pid,
      error: describeError(error),
    });
    return "failed";
  }
}

async function readTarget(
  run: FlowRun,
  deps: Deps,
): Promise<{ deployment: Deployment | null; flow: Flow } | null> {
  const [deployment, flow] = await Promise.all([
    run.deployment_id ? deps.api.readDeployment(run.deployment_id) : Promise.resolve(null),
    deps.api.readFlow(run.flow_id),
  ]);
  if (!flow || (run.deployment_id && !deployment)) return null;
  return { deployment, flow };
}

/** One pass's reads: a deployment or flow is read once however many of its runs are cleaned. */
function passReads(api: Deps["api"]): Deps["api"] {
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let p = cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  };
  return new Proxy(api, {
    get(target, prop, receiver) {
      if (prop === "readDeployment") return (id: string) => once(`d:${id}`, () => target.readDeployment(id));
      if (prop === "readFlow") return (id: string) => once(`f:${id}`, () => target.readFlow(id));
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function hasTemplate(pool: WorkPool): boolean {
  const template = pool.base_job_template;
  return typeof template === "object" && template !== null && Object.keys(template).length > 0;
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof InfrastructureNotFoundError ||
    (PushpoolError.is(error) && error.name === "InfrastructureNotFoundError")
  );
}

/** The pids one warm instance cleaned, oldest first; bounded. */
export class CleanedMemo {
  private readonly seen = new Set<string>();
  constructor(private readonly max = CLEANED_MEMORY) {}
  has(runId: string, pid: string): boolean {
    return this.seen.has(`${runId} ${pid}`);
  }
  add(runId: string, pid: string): void {
    this.seen.add(`${runId} ${pid}`);
    for (const oldest of this.seen) {
      if (this.seen.size <= this.max) break;
      this.seen.delete(oldest);
    }
  }
  get size(): number {
    return this.seen.size;
  }
}

const memos = new WeakMap<object, CleanedMemo>();

/** The memo of one runtime (keyed by its backends). */
export function cleanedMemo(owner: object): CleanedMemo {
  let memo = memos.get(owner);
  if (!memo) {
    memo = new CleanedMemo();
    memos.set(owner, memo);
  }
  return memo;
}
