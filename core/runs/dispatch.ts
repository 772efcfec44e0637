/**
 * @module
 * Dispatch one flow run, idempotently under at-least-once delivery.
 *
 * Critical path from the tick's snapshot of the run (./runSnapshot.ts), 3 sequential Prefect round
 * trips: read deployment, flow and pool together → claim → record the pid. Without a usable
 * snapshot, or when the claim finds that the run moved on since the tick saw it, the run is read
 * first (4). A CSRF-protected server's token is fetched beside the first. Templates that reference
 * blocks or variables add their reads.
 * After the pid, off that path, two best-effort writes side by side, never retried: the worker
 * labels and the run's own log lines ("submitting…", "Submitted…" or why it failed), which travel
 * with other runs' lines when several dispatches finish together, or wait for the end of the
 * handler's batch when it holds them (core/runs/runLogs.ts: withRunLogsHeld).
 */

import { submitOnce } from "../backends/startOnce.ts";
import { submitToken } from "../backends/token.ts";
import { renderJobConfiguration } from "../job/render.ts";
import type { JobConfiguration } from "../job/types.ts";
import type { Backend, BackendContext } from "../ports/backend.ts";
import type { Deployment, Flow, FlowRun, WorkPool } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import { deferIfEarly } from "../runtime/earlyDelivery.ts";
import type { Delivery, DispatchMessage } from "../runtime/messages.ts";
import { ClaimLostError, describeError, isRetryable, PrefectApiError } from "../shared/errors.ts";
import { loadPool } from "./pools.ts";
import { RunLog } from "./runLogs.ts";
import { type SeenRun, usableSnapshot } from "./runSnapshot.ts";
import {
  type ClaimResult,
  claim,
  describeState,
  forceCancelled,
  isResumableClaim,
  isStaleClaim,
  proposeCrashed,
  undoStaleClaim,
} from "./states.ts";

export type DispatchOutcome =
  | { outcome: "submitted"; flowRunId: string; pid: string; resumed: boolean }
  | { outcome: "skipped"; flowRunId: string; reason: string }
  | { outcome: "deferred"; flowRunId: string; reason: string; delaySeconds: number }
  | { outcome: "crashed"; flowRunId: string; reason: string }
  | { outcome: "cancelled"; flowRunId: string; reason: string };

export async function dispatch(
  message: DispatchMessage,
  deps: Deps,
  delivery: Delivery = {},
): Promise<DispatchOutcome> {
  const early = await deferIfEarly(message, deps);
  if (early.deferred)
    return {
      outcome: "deferred",
      flowRunId: message.flowRunId,
      reason: "delivered early",
      delaySeconds: early.delaySeconds,
    };

  deps.api.prepareWrites?.(); // a CSRF token, if the server wants one, comes with the first read
  const seen = usableSnapshot(message, delivery, deps.clock.now(), deps.logger);
  if (seen) {
    const outcome = await dispatchSeen(seen, message, deps);
    if (outcome) return outcome;
  }
  return await dispatchRead(message, deps);
}

function skipped(flowRunId: string, reason: string, deps: Deps): DispatchOutcome {
  deps.logger.info("dispatch skipped", { flowRunId, reason });
  return { outcome: "skipped", flowRunId, reason };
}

/** Why a run read as it is must not be submitted from this pool, or null. */
function refusal(run: FlowRun, pool: string): string | null {
  if (run.empirical_policy?.retry_type === "in_process") return "in-process retry (the flow process owns it)";
  if (run.work_pool_name && run.work_pool_name !== pool)
    return `run belongs to pool '${run.work_pool_name}', not '${pool}'`;
  return null;
}

/**
 * From the tick's snapshot: no read of the run. Null when the claim found the run moved on (not
 * Scheduled as seen): the caller reads it and decides as if there had been no snapshot.
 */
async function dispatchSeen(
  seen: SeenRun,
  message: DispatchMessage,
  deps: Deps,
): Promise<DispatchOutcome | null> {
  const { run } = seen;
  if (refusal(run, message.pool)) return null; // decided on a fresh read
  const target = await resolveTarget(run, message, deps);
  if ("outcome" in target) return target;
  let claimed: ClaimResult;
  try {
    claimed = await claim(deps.api, run.id, deps.workerName, seen.scheduledTime);
  } catch (error) {
    if (error instanceof PrefectApiError && error.status === 404)
      return skipped(run.id, "flow run not found", deps);
    throw error;
  }
  if (!claimed.claimed) {
    if (claimed.state?.type !== "SCHEDULED") return null; // claimed, started, or undone: read it
    await requeueIfRescheduled(message, claimed.state.state_details?.scheduled_time, deps);
    return skipped(run.id, `claim ${claimed.status}: ${claimed.reason}`, deps);
  }
  await deps.faults?.afterClaim?.(run.id);
  return await submit(run, target, submitToken(run.id, claimed.state.id ?? ""), false, deps);
}

/** After reading the run: resumes its own unfinished claim, or claims a Scheduled run. */
async function dispatchRead(message: DispatchMessage, deps: Deps): Promise<DispatchOutcome> {
  const flowRunId = message.flowRunId;
  const run = await deps.api.readFlowRun(flowRunId);
  if (!run) return skipped(flowRunId, "flow run not found", deps);
  const refused = refusal(run, message.pool);
  if (refused) return skipped(flowRunId, refused, deps);

  if (isStaleClaim(run)) {
    const was = await undoStaleClaim(deps.api, flowRunId, run.state?.id);
    return skipped(flowRunId, `stale claim undone: the run was ${was} before it`, deps);
  }
  const resuming = isResumableClaim(run);
  if (!resuming && run.state?.type !== "SCHEDULED")
    return skipped(flowRunId, `run is ${describeState(run.state)}`, deps);

  const target = await resolveTarget(run, message, deps);
  if ("outcome" in target) return target;

  let claimStateId: string;
  if (resuming) {
    claimStateId = run.state?.id ?? "";
  } else {
    const claimed = await claim(deps.api, flowRunId, deps.workerName);
    if (!claimed.claimed) {
      if (claimed.state?.type === "SCHEDULED")
        await requeueIfRescheduled(message, claimed.state.state_details?.scheduled_time, deps);
      return skipped(flowRunId, `claim ${claimed.status}: ${claimed.reason}`, deps);
    }
    claimStateId = claimed.state.id ?? "";
    await deps.faults?.afterClaim?.(flowRunId);
  }
  return await submit(run, target, submitToken(flowRunId, claimStateId), resuming, deps);
}

/** Deployment, flow, pool and backend of a run, read together; or why it cannot be submitted. */
async function resolveTarget(
  run: FlowRun,
  message: DispatchMessage,
  deps: Deps,
): Promise<Target | DispatchOutcome> {
  const { api, logger } = deps;
  const [deployment, flow, pool] = await Promise.all([
    run.deployment_id ? api.readDeployment(run.deployment_id) : Promise.resolve(null),
    api.readFlow(run.flow_id),
    loadPool(api, message.pool),
  ]);
  if (run.deployment_id && !deployment) {
    const reason = `Deployment ${run.deployment_id} no longer exists, cancelled run.`;
    await forceCancelled(api, run.id, reason);
    logger.warn("deployment gone; run cancelled", { flowRunId: run.id, deploymentId: run.deployment_id });
    return { outcome: "cancelled", flowRunId: run.id, reason };
  }
  if (!flow) return skipped(run.id, `flow ${run.flow_id} not found`, deps);
  if (!pool) return skipped(run.id, `work pool '${message.pool}' not found`, deps);
  const backend = deps.backends.get(pool.type);
  if (!backend) return skipped(run.id, `no backend serves pool type '${pool.type}'`, deps);
  return { deployment, flow, pool, backend };
}

interface Target {
  deployment: Deployment | null;
  flow: Flow;
  pool: WorkPool;
  backend: Backend;
}

async function submit(
  run: FlowRun,
  target: Target,
  token: string,
  resumed: boolean,
  deps: Deps,
): Promise<DispatchOutcome> {
  const { api, logger } = deps;
  const ctx: BackendContext = { flowRun: run, pool: { name: target.pool.name, type: target.pool.type } };
  const label = target.backend.label;
  const runLog = new RunLog(run.id, deps.clock);
  runLog.info(
    resumed
      ? `pushpool resuming the submission of flow run '${run.id}' to ${label} (claimed earlier)`
      : `pushpool submitting flow run '${run.id}' to ${label}`,
  );
  let pid: string;
  let config: JobConfiguration;
  try {
    config = await renderConfiguration(run, target, deps);
    const request = target.backend.prepare(config, ctx);
    ({ pid } = await submitOnce(target.backend, request, token, ctx, {
      resumed,
      claimedAt: Date.parse(run.state?.timestamp ?? ""),
      now: () => deps.clock.now().getTime(),
      sleep: (ms) => deps.clock.sleep(ms),
      logger,
      lease: deps.lease,
      stillClaimed: async () => {
        const now = await api.readFlowRun(run.id);
        return now?.state?.id === run.state?.id ? null : describeState(now?.state ?? null);
      },
    }));
  } catch (error) {
    if (isRetryable(error)) throw error; // redelivered; the claim stays ours and the token the same
    if (error instanceof ClaimLostError) return skipped(run.id, error.message, deps);
    const reason = `Failed to submit flow run to infrastructure: ${describeError(error)}`;
    logger.error("submit failed; run crashed", { flowRunId: run.id, reason });
    runLog.error(`Failed to submit flow run '${run.name}' to ${label}: ${describeError(error)}`);
    await proposeCrashed(api, run.id, reason);
    await runLog.flush(deps);
    return { outcome: "crashed", flowRunId: run.id, reason };
  }
  // Stamped now, when it happened: an exit reported before the pid PATCH ends is logged after it.
  runLog.info(`Submitted flow run '${run.name}' to ${label} ${pid}`);
  await deps.faults?.afterSubmit?.(run.id);
  await api.setInfrastructurePid(run.id, pid);
  // Worker attribution labels and the run's log lines are cosmetic: after the pid, off the critical
  // path, side by side (one round trip, not two), best effort and never retried.
  await Promise.all([
    api
      .updateFlowRunLabels(run.id, workerLabels(deps, target.pool))
      .catch((e) => logger.debug("could not label flow run", { flowRunId: run.id, error: describeError(e) })),
    runLog.flush(deps),
  ]);
  logger.info("flow run submitted", { flowRunId: run.id, pid, pool: target.pool.name, resumed });
  return { outcome: "submitted", flowRunId: run.id, pid, resumed };
}

/** Renders the job configuration for a run (also used by reconcile and `pushpool render`). */
export async function renderConfiguration(
  run: FlowRun,
  target: { deployment: Deployment | null; flow: Flow; pool: WorkPool; backend?: Backend | null },
  deps: Pick<Deps, "api" | "processEnv" | "containerEnv" | "workerName" | "prefectVersion">,
): Promise<JobConfiguration> {
  return await renderJobConfiguration({
    pool: target.pool,
    deployment: target.deployment,
    flow: target.flow,
    flowRun: run,
    api: deps.api,
    env: deps.processEnv,
    baseEnv: deps.containerEnv,
    worker: { name: deps.workerName },
    prefectVersion: deps.prefectVersion,
    backend: target.backend,
  });
}

/** The labels Prefect's worker gives the runs it submits (also repaired by core/runs/reconcile.ts). */
export function workerLabels(deps: Pick<Deps, "workerName">, pool: WorkPool): Record<string, string> {
  return {
    "prefect.worker.name": deps.workerName,
    "prefect.worker.type": pool.type,
    "prefect.work-pool.name": pool.name,
    "prefect.work-pool.id": pool.id,
  };
}

/** A REJECT that re-scheduled the run (AwaitingConcurrencySlot) comes back when the slot may be free. */
async function requeueIfRescheduled(message: DispatchMessage, scheduled: unknown, deps: Deps): Promise<void> {
  if (typeof scheduled !== "string") return;
  const delay = Math.max(0, (Date.parse(scheduled) - deps.clock.now().getTime()) / 1000);
  if (!Number.isFinite(delay)) return;
  await deps.queue.send(
    { ...message, notBefore: new Date(Date.parse(scheduled)).toISOString(), source: "requeue" },
    { delaySeconds: Math.ceil(delay) },
  );
}
