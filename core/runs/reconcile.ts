/**
 * @module
 * The universal fallback, run on each tick for every served pool:
 * - Pending with a pid → inspect: failed or gone → Crashed.
 * - Running with a pid → inspect: infrastructure failed or gone while the run is not finished → Crashed.
 * - our Pending without a pid older than the start timeout → resubmit with the claim's token; older
 *   than twice the timeout → Crashed. Nobody's run is left Pending.
 * - Cancelling with a pid and not started → kill the infrastructure, then Cancelled.
 */

import type { Backend, BackendContext } from "../ports/backend.ts";
import type { FlowRun, WorkPool } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import { describeError, InfrastructureNotFoundError, PushpoolError } from "../shared/errors.ts";
import { forwardCrashLogs } from "./crashLogs.ts";
import { dispatch, renderConfiguration } from "./dispatch.ts";
import { loadPool } from "./pools.ts";
import { reportExit } from "./report.ts";
import { forceCancelled, isOwnClaim, proposeCrashed } from "./states.ts";

export type ReconcileAction = "crashed" | "resubmitted" | "cancelled" | "none" | "error";

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
  const runs = await deps.api.filterFlowRuns({
    workPoolNames: [poolName],
    stateTypes: ["PENDING", "RUNNING", "CANCELLING"],
    limit: 200,
  });
  const results: ReconcileResult[] = [];
  const reads = passReads(deps);
  for (const run of runs) {
    try {
      const action = await reconcileRun(run, pool, backend, { ...deps, api: reads });
      if (action.action !== "none") deps.logger.info("reconciled flow run", { ...action });
      results.push(action);
    } catch (error) {
      deps.logger.error("reconcile failed for run", { flowRunId: run.id, error: describeError(error) });
      results.push({ flowRunId: run.id, action: "error", detail: describeError(error) });
    }
  }
  return results;
}

async function reconcileRun(
  run: FlowRun,
  pool: WorkPool,
  backend: Backend,
  deps: Deps,
): Promise<ReconcileResult> {
  const none: ReconcileResult = { flowRunId: run.id, action: "none" };
  const ctx: BackendContext = { flowRun: run, pool: { name: pool.name, type: pool.type } };
  const type = run.state?.type;
  const pid = run.infrastructure_pid;

  if (type === "CANCELLING") {
    if (run.start_time) return none; // the in-container supervisor owns cancellation once started
    if (!pid) {
      await forceCancelled(deps.api, run.id, "Flow run cancelled by pushpool (no infrastructure found).");
      return { flowRunId: run.id, action: "cancelled", detail: "no infrastructure" };
    }
    return await killAndCancel(run, pool, backend, deps);
  }

  if (pid) {
    const target = await readTarget(run, pool, backend, deps);
    if (!target) return none; // deployment or flow gone: the next tick (or the run's own engine) settles it
    const config = await renderConfiguration(run, target, deps);
    const status = await backend.inspect(pid, config, ctx);
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
    return none;
  }

  if (type !== "PENDING" || !isOwnClaim(run)) return none;
  const claimedAt = Date.parse(run.state?.timestamp ?? "");
  const age = (deps.clock.now().getTime() - claimedAt) / 1000;
  if (!(age > deps.startTimeoutSeconds)) return none;
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

async function killAndCancel(
  run: FlowRun,
  pool: WorkPool,
  backend: Backend,
  deps: Deps,
): Promise<ReconcileResult> {
  const deployment = run.deployment_id ? await deps.api.readDeployment(run.deployment_id) : null;
  if (run.deployment_id && !deployment) {
    await forceCancelled(
      deps.api,
      run.id,
      "Flow run cancelled (deployment not found, infrastructure may still be running).",
    );
    return { flowRunId: run.id, action: "cancelled", detail: "deployment gone" };
  }
  const flow = await deps.api.readFlow(run.flow_id);
  if (!flow) return { flowRunId: run.id, action: "none", detail: "flow not found" };
  const config = await renderConfiguration(run, { deployment, flow, pool, backend }, deps);
  const ctx: BackendContext = { flowRun: run, pool: { name: pool.name, type: pool.type } };
  try {
    await backend.kill(run.infrastructure_pid ?? "", config, 30, ctx);
  } catch (error) {
    if (
      !(error instanceof InfrastructureNotFoundError) &&
      !(PushpoolError.is(error) && error.name === "InfrastructureNotFoundError")
    )
      throw error;
  }
  await forceCancelled(deps.api, run.id, "Flow run cancelled by pushpool while pending.");
  return { flowRunId: run.id, action: "cancelled", detail: "infrastructure killed" };
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
