/**
 * @module
 * The universal fallback, run on each tick for every served pool:
 * - Pending with a pid → inspect: failed or gone → Crashed.
 * - In flight with a pid but without the worker labels (the dispatch's PATCH was refused) → label.
 * - Running with a pid → inspect: infrastructure failed or gone while the run is not finished → Crashed.
 *   A pid the backend cannot judge (`foreign`: another host's process) is left to whoever started it.
 * - our Pending without a pid older than the start timeout → resubmit with the claim's token; older
 *   than twice the timeout → Crashed. A stale claim (accepted over a finished run, and not undone
 *   by the delivery that made it) is undone instead: never resubmitted, never Crashed. Nobody's run
 *   is left Pending.
 * - Cancelling → kill the infrastructure, then Cancelled, as Prefect's worker and runner do
 *   (./cancel.ts: at once where pushpool supervises the process or the run has not started, after
 *   the cancel grace where an in-container runner may cancel it itself).
 */

import type { Backend, BackendContext, InfraStatus, InspectItem } from "../ports/backend.ts";
import type { FlowRun, WorkPool } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import { describeError } from "../shared/errors.ts";
import { cancelRun } from "./cancel.ts";
import { forwardCrashLogs } from "./crashLogs.ts";
import { dispatch, renderConfiguration, workerLabels } from "./dispatch.ts";
import { inspectAll } from "./inspectAll.ts";
import { loadPool } from "./pools.ts";
import { reportExit } from "./report.ts";
import { awaitsCancellation, isOwnClaim, isStaleClaim, proposeCrashed, undoStaleClaim } from "./states.ts";

export type ReconcileAction = "crashed" | "resubmitted" | "undone" | "cancelled" | "none" | "error";

export interface ReconcileResult {
  flowRunId: string;
  action: ReconcileAction;
  detail?: string;
}

export async function reconcile(pools: readonly string[], deps: Deps): Promise<ReconcileResult[]> {
  const perPool = await Promise.all(pools.map((pool) => reconcilePool(pool, deps)));
  return perPool.flat();
}

async function reconcilePool(poolName: string, deps: Deps): Promise<ReconcileResult[]> {
  const pool = await loadPool(deps.api, poolName);
  if (!pool) return [];
  const backend = deps.backends.get(pool.type);
  if (!backend) return [];
  // One query a tick for what is in flight, cancellations included. Runs awaiting cancellation are
  // also asked for on their own when that page is full (200, oldest first), so a busy pool still
  // sees every cancellation on this tick; the older form of a cancellation (CANCELLED named
  // "Cancelling", which Prefect's cancellation observer also reads) every few ticks.
  const query = { workPoolNames: [poolName], limit: PAGE };
  const inFlight = await deps.api.filterFlowRuns({
    ...query,
    stateTypes: ["PENDING", "RUNNING", "CANCELLING"],
  });
  const [cancelling, named] = await Promise.all([
    inFlight.length >= PAGE ? deps.api.filterFlowRuns({ ...query, stateTypes: ["CANCELLING"] }) : [],
    legacyDue(deps.queue, poolName)
      ? deps.api.filterFlowRuns({ ...query, stateTypes: ["CANCELLED"], stateNames: ["Cancelling"] })
      : [],
  ]);
  const cancellingInFlight = inFlight.filter((r) => awaitsCancellation(r.state));
  const toCancel = [
    ...new Map([...cancellingInFlight, ...cancelling, ...named].map((r) => [r.id, r])).values(),
  ];
  const seen = new Set(toCancel.map((r) => r.id));
  const reads = passReads(deps);
  const settle = async (run: FlowRun): Promise<ReconcileResult> => {
    try {
      const action = await reconcileRun(run, pool, backend, { ...deps, api: reads });
      if (action.action !== "none") deps.logger.info("reconciled flow run", { ...action });
      return action;
    } catch (error) {
      deps.logger.error("reconcile failed for run", { flowRunId: run.id, error: describeError(error) });
      return { flowRunId: run.id, action: "error", detail: describeError(error) };
    }
  };
  // Cancellations side by side: a kill may wait for its process to exit.
  const results = await Promise.all(toCancel.map(settle));
  const rest = inFlight.filter((run) => !seen.has(run.id));
  // The runs with a pid are inspected together (one DescribeTasks per 100 ECS tasks, not one each).
  results.push(...(await inspectInFlight(rest.filter(hasPid), pool, backend, { ...deps, api: reads })));
  for (const run of rest) if (!hasPid(run)) results.push(await settle(run));
  return results;
}

const hasPid = (run: FlowRun) => Boolean(run.infrastructure_pid);

/**
 * The in-flight runs with a pid: each labelled if need be and its configuration rendered, then all
 * inspected at once ({@link inspectAll}), then each settled on what was found. A run's failure at
 * any step is that run's `error`, the others go on.
 */
async function inspectInFlight(
  runs: readonly FlowRun[],
  pool: WorkPool,
  backend: Backend,
  deps: Deps,
): Promise<ReconcileResult[]> {
  const failed = (run: FlowRun, error: unknown): ReconcileResult => {
    deps.logger.error("reconcile failed for run", { flowRunId: run.id, error: describeError(error) });
    return { flowRunId: run.id, action: "error", detail: describeError(error) };
  };
  const results: ReconcileResult[] = [];
  const items: (InspectItem & { run: FlowRun })[] = [];
  for (const run of runs) {
    try {
      await labelIfUnlabelled(run, pool, deps);
      const target = await readTarget(run, pool, backend, deps);
      // Deployment or flow gone: the next tick (or the run's own engine) settles it.
      if (!target) results.push({ flowRunId: run.id, action: "none" });
      else {
        const config = await renderConfiguration(run, target, deps);
        const ctx: BackendContext = { flowRun: run, pool: { name: pool.name, type: pool.type } };
        items.push({ run, pid: run.infrastructure_pid ?? "", config, ctx });
      }
    } catch (error) {
      results.push(failed(run, error));
    }
  }
  const found = await inspectAll(backend, items);
  for (const [i, item] of items.entries()) {
    const outcome = found[i] ?? { error: new Error("no inspection result") };
    try {
      if ("error" in outcome) throw outcome.error;
      const action = await settleInspected(item.run, item.pid, outcome.status, deps);
      if (action.action !== "none") deps.logger.info("reconciled flow run", { ...action });
      results.push(action);
    } catch (error) {
      results.push(failed(item.run, error));
    }
  }
  return results;
}

/** The run's infrastructure failed, vanished or ended while the run is Pending → its exit is reported. */
async function settleInspected(
  run: FlowRun,
  pid: string,
  status: InfraStatus,
  deps: Deps,
): Promise<ReconcileResult> {
  const type = run.state?.type;
  if (
    status.state === "failed" ||
    status.state === "gone" ||
    (status.state === "succeeded" && type === "PENDING")
  ) {
    const outcome = await reportExit(
      {
        flowRunId: run.id,
        pid,
        exitCode: status.state === "gone" ? null : (status.exitCode ?? null),
        reason:
          status.reason ?? (status.state === "gone" ? "The infrastructure no longer exists." : undefined),
      },
      deps,
    );
    if (outcome === "crashed" && status.logs) await forwardCrashLogs(run.id, status.logs, deps);
    return { flowRunId: run.id, action: outcome === "crashed" ? "crashed" : "none", detail: status.state };
  }
  return { flowRunId: run.id, action: "none" };
}

/** The most runs one reconcile query returns. */
const PAGE = 200;
/** Ticks between two queries for the older form of a cancellation (CANCELLED named "Cancelling"). */
export const LEGACY_CANCELLING_EVERY_TICKS = 6;

const legacyTicks = new WeakMap<object, Map<string, number>>();

/** True on this runtime's first reconcile of a pool and every {@link LEGACY_CANCELLING_EVERY_TICKS}th after. */
function legacyDue(owner: object, pool: string): boolean {
  const counts = legacyTicks.get(owner) ?? new Map<string, number>();
  legacyTicks.set(owner, counts);
  const n = counts.get(pool) ?? 0;
  counts.set(pool, n + 1);
  return n % LEGACY_CANCELLING_EVERY_TICKS === 0;
}

async function reconcileRun(
  run: FlowRun,
  pool: WorkPool,
  backend: Backend,
  deps: Deps,
): Promise<ReconcileResult> {
  const none: ReconcileResult = { flowRunId: run.id, action: "none" };
  const type = run.state?.type;
  const pid = run.infrastructure_pid;

  if (awaitsCancellation(run.state)) return await cancelRun(run, pool, backend, deps);

  if (pid) return none; // inspected with the others (inspectInFlight)

  if (type !== "PENDING" || !isOwnClaim(run)) return none;
  const claimedAt = Date.parse(run.state?.timestamp ?? "");
  const age = (deps.clock.now().getTime() - claimedAt) / 1000;
  if (!(age > deps.startTimeoutSeconds)) return none;
  if (isStaleClaim(run)) {
    const was = await undoStaleClaim(deps.api, run.id, run.state?.id);
    return { flowRunId: run.id, action: "undone", detail: `stale claim; the run was ${was} before it` };
  }
  if (age > 2 * deps.startTimeoutSeconds) {
    const message = `Flow run infrastructure did not start within ${Math.round(age)} s of the claim; marked Crashed by pushpool.`;
    await proposeCrashed(deps.api, run.id, message);
    return { flowRunId: run.id, action: "crashed", detail: "start timeout" };
  }
  const outcome = await dispatch(
    { v: 1, kind: "dispatch", flowRunId: run.id, pool: pool.name, source: "reconcile" },
    deps,
  );
  return {
    flowRunId: run.id,
    action: outcome.outcome === "submitted" ? "resubmitted" : "none",
    detail: outcome.outcome,
  };
}

/**
 * The dispatch sends the worker labels once, never retried; a busy SQLite server refuses most of a
 * burst's (a read-then-write that any concurrent write voids: 93 of 100 in a bench:aws burst).
 * A submitted run still in flight without them gets them here, one PATCH per tick until one lands;
 * best effort, never retried within the tick.
 */
async function labelIfUnlabelled(run: FlowRun, pool: WorkPool, deps: Deps): Promise<void> {
  if (run.labels?.["prefect.worker.name"] !== undefined) return;
  await deps.api
    .updateFlowRunLabels(run.id, workerLabels(deps, pool))
    .catch((e) =>
      deps.logger.debug("could not label flow run", { flowRunId: run.id, error: describeError(e) }),
    );
}

/**
 * The Prefect reads of one reconcile pass: a deployment is read once per pass, however many of its
 * runs are in flight (rendering a run's configuration for `inspect` must not cost a read per run
 * per tick). Everything else goes to the API as it is.
 */
function passReads(deps: Deps): Deps["api"] {
  const deployments = new Map<string, ReturnType<Deps["api"]["readDeployment"]>>();
  return new Proxy(deps.api, {
    get(target, prop, receiver) {
      if (prop === "readDeployment")
        return (id: string) => {
          let read = deployments.get(id);
          if (!read) {
            read = target.readDeployment(id);
            deployments.set(id, read);
            read.catch(() => deployments.delete(id));
          }
          return read;
        };
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The run's deployment and flow, with the pool and backend: what rendering its configuration needs. */
async function readTarget(run: FlowRun, pool: WorkPool, backend: Backend, deps: Deps) {
  const [deployment, flow] = await Promise.all([
    run.deployment_id ? deps.api.readDeployment(run.deployment_id) : Promise.resolve(null),
    deps.api.readFlow(run.flow_id),
  ]);
  if (!flow || (run.deployment_id && !deployment)) return null;
  return { deployment, flow, pool, backend };
}
