/**
 * @module
 * Cancellation on every backend, through `Backend.kill`, as Prefect's worker and runner do it
 * (prefect/workers/base.py `_cancel_run`; prefect/runner/_cancellation_manager.py): a CANCELLING
 * run's infrastructure is killed, then the run is forced Cancelled with Prefect's message. (A
 * CANCELLED state named `Cancelling`, which Prefect's observer also picks up, counts as CANCELLING.)
 *
 * - Not started (the worker's rule): no pid → Cancelled at once; otherwise kill, then Cancelled
 *   "while pending".
 * - Started: the runner's sequence (kill, then "Flow run was cancelled successfully."). Where
 *   pushpool itself supervises the process ({@link Backend.supervised}: `python -m prefect.engine`
 *   has no runner) at once; elsewhere only once `cancelGraceSeconds` have passed since the
 *   Cancelling state's timestamp, so that an in-container runner (`prefect flow-run execute`, which
 *   hears the Cancelling event at once over its websocket, or polls every 10 s) cancels the run
 *   itself, with its on_cancellation hooks. A started run without a pid is left alone: nothing
 *   can be killed (the runner skips a run it has no process for; Prefect's server times it out).
 * - Deployment gone → Cancelled, "infrastructure may still be running" (the worker's message).
 * - The run is read again right before the kill: one no longer Cancelling (its runner finished the
 *   cancellation, or it finished) is neither killed nor touched. `InfrastructureNotFoundError`
 *   means already gone → Cancelled. Any other kill failure is thrown: the run stays Cancelling
 *   and the next tick tries again.
 * - After the kill the run is read once more: Cancelled by the flow itself (an engine told through
 *   the control channel, ../backends/process/control.ts), or Completed/Failed first, stays as it is;
 *   otherwise Cancelled is forced, as both do — over the Crashed an engine proposes when SIGTERM
 *   reaches it unexplained.
 */

import type { Backend, BackendContext } from "../ports/backend.ts";
import type { FlowRun, WorkPool } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import { InfrastructureNotFoundError, PushpoolError } from "../shared/errors.ts";
import { renderConfiguration } from "./dispatch.ts";
import type { ReconcileResult } from "./reconcile.ts";
import { awaitsCancellation, forceCancelled } from "./states.ts";

/**
 * Default grace for a started run's own runner. Prefect's runner hears the Cancelling event over
 * its websocket and has the run Cancelled in ~2–4 s (the issue measured 4 s under
 * `prefect worker start`); its polling fallback looks every 10 s. 10 s covers the first with room
 * for a loaded container; on the AWS tick (60 s) it rarely delays anything by more than a tick.
 */
export const DEFAULT_CANCEL_GRACE_SECONDS = 10;

/** Seconds Prefect's worker gives `kill_infrastructure` to stop gracefully before forcing. */
const KILL_GRACE_SECONDS = 30;

/** Prefect's messages (the worker's for pending runs, the runner's for started ones). */
export const CANCEL_MESSAGES = {
  noInfrastructure: "Flow run cancelled by worker (no infrastructure found).",
  deploymentGone: "Flow run cancelled (deployment not found, infrastructure may still be running).",
  pending: "Flow run cancelled by worker while pending.",
  started: "Flow run was cancelled successfully.",
} as const;

/** Settles one CANCELLING run of `pool` (see the module comment). */
export async function cancelRun(
  run: FlowRun,
  pool: WorkPool,
  backend: Backend,
  deps: Deps,
): Promise<ReconcileResult> {
  const started = Boolean(run.start_time);
  if (!run.infrastructure_pid) {
    if (started) return { flowRunId: run.id, action: "none", detail: "started without infrastructure pid" };
    await forceCancelled(deps.api, run.id, CANCEL_MESSAGES.noInfrastructure);
    return { flowRunId: run.id, action: "cancelled", detail: "no infrastructure" };
  }
  if (started && !backend.supervised) {
    const grace = deps.cancelGraceSeconds ?? DEFAULT_CANCEL_GRACE_SECONDS;
    const since = Date.parse(run.state?.timestamp ?? "");
    const waited = (deps.clock.now().getTime() - since) / 1000;
    if (waited < grace) return { flowRunId: run.id, action: "none", detail: "cancel grace" };
  }
  return await killThenCancel(run, pool, backend, deps, started);
}

async function killThenCancel(
  listed: FlowRun,
  pool: WorkPool,
  backend: Backend,
  deps: Deps,
  started: boolean,
): Promise<ReconcileResult> {
  const id = listed.id;
  const run = await deps.api.readFlowRun(id);
  const pid = run?.infrastructure_pid;
  if (!run || !awaitsCancellation(run.state) || !pid)
    return { flowRunId: id, action: "none", detail: `now ${run?.state?.type ?? "deleted"}` };

  const deployment = run.deployment_id ? await deps.api.readDeployment(run.deployment_id) : null;
  if (run.deployment_id && !deployment) {
    await forceCancelled(deps.api, id, CANCEL_MESSAGES.deploymentGone);
    return { flowRunId: id, action: "cancelled", detail: "deployment gone" };
  }
  const flow = await deps.api.readFlow(run.flow_id);
  if (!flow) return { flowRunId: id, action: "none", detail: "flow not found" };
  const config = await renderConfiguration(run, { deployment, flow, pool, backend }, deps);
  const ctx: BackendContext = { flowRun: run, pool: { name: pool.name, type: pool.type } };
  let detail = "infrastructure killed";
  try {
    await backend.kill(pid, config, KILL_GRACE_SECONDS, ctx);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    detail = "infrastructure already gone";
  }
  // The flow may have settled on its way out: an engine told by the control channel cancels the
  // run itself; one that finished first keeps its end. Anything else (Cancelling, or the Crashed an
  // engine proposes for an unexplained SIGTERM) is forced Cancelled.
  const end = (await deps.api.readFlowRun(id))?.state;
  const settled = end && awaitsCancellation(end) ? "CANCELLING" : end?.type;
  if (settled === "CANCELLED")
    return { flowRunId: id, action: "cancelled", detail: `${detail}; the flow cancelled itself` };
  if (settled === "COMPLETED" || settled === "FAILED" || settled === undefined)
    return { flowRunId: id, action: "none", detail: `${detail}; now ${settled ?? "deleted"}` };
  await forceCancelled(deps.api, id, started ? CANCEL_MESSAGES.started : CANCEL_MESSAGES.pending);
  return { flowRunId: id, action: "cancelled", detail };
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof InfrastructureNotFoundError ||
    (PushpoolError.is(error) && error.name === "InfrastructureNotFoundError")
  );
}
