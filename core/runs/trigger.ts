/**
 * @module
 * Create a flow run of a deployment (webhook, cloud cron) with an idempotency key, then dispatch it
 * at once: a `dispatch` message delivered at `scheduled time − lead` (now, for an immediate run).
 * The create is serialised per runtime and retried within a budget (./createFlowRun.ts).
 */

import type { Deployment, JsonObject } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import type { TriggerMessage } from "../runtime/messages.ts";
import { PrefectApiError, ValidationError } from "../shared/errors.ts";
import { createFlowRunPatiently, WEBHOOK_CREATE_BUDGET_MS } from "./createFlowRun.ts";
import { snapshotOf } from "./runSnapshot.ts";

export interface TriggerResult {
  flowRunId: string;
  /** False when the idempotency key matched an existing run (nothing new was created). */
  created: boolean;
  pool: string;
}

/** Raised when the deployment does not exist (the webhook answers 404). */
export class DeploymentNotFoundError extends ValidationError {}

export interface TriggerOptions {
  /**
   * How long `create_flow_run` is retried on retryable failures (ms, default
   * {@link WEBHOOK_CREATE_BUDGET_MS}; the queue consumer passes a longer one).
   */
  createBudgetMs?: number;
}

export async function trigger(
  message: TriggerMessage,
  deps: Deps,
  options: TriggerOptions = {},
): Promise<TriggerResult> {
  const deployment = await findDeployment(message.deployment, deps);
  if (!deployment.work_pool_name)
    throw new ValidationError(
      `deployment '${message.deployment}' has no work pool; pushpool cannot dispatch it`,
    );
  const since = deps.clock.now().getTime();
  const run = await createFlowRunPatiently(
    deps,
    deployment.id,
    {
      parameters: (message.parameters ?? {}) as JsonObject,
      ...(message.jobVariables ? { job_variables: message.jobVariables as JsonObject } : {}),
      idempotency_key: message.idempotencyKey,
      ...(message.scheduledTime
        ? { state: { type: "SCHEDULED", state_details: { scheduled_time: message.scheduledTime } } }
        : {}),
    },
    { budgetMs: options.createBudgetMs ?? WEBHOOK_CREATE_BUDGET_MS },
  );
  const created = run.created === undefined || Date.parse(run.created) >= since - 5_000;
  const pool = deployment.work_pool_name;
  if (run.state?.type === "SCHEDULED") {
    const due = Date.parse(run.next_scheduled_start_time ?? run.expected_start_time ?? "") || since;
    const type = await poolType(pool, deps);
    const deliverAt = due - (type === null ? 0 : deps.leadSeconds(type)) * 1000;
    const now = deps.clock.now();
    const delaySeconds = Math.max(0, (deliverAt - now.getTime()) / 1000);
    const snapshot = snapshotOf(run, now); // Prefect's answer: the dispatch need not read the run
    await deps.queue.send(
      {
        v: 1,
        kind: "dispatch",
        flowRunId: run.id,
        pool,
        notBefore: new Date(deliverAt).toISOString(),
        source: message.source,
        ...(snapshot ? { snapshot } : {}),
      },
      { delaySeconds },
    );
  }
  deps.logger.info("flow run triggered", {
    flowRunId: run.id,
    deployment: deployment.id,
    created,
    source: message.source,
  });
  return { flowRunId: run.id, created, pool };
}

async function findDeployment(ref: string, deps: Deps): Promise<Deployment> {
  let deployment: Deployment | null;
  const slash = ref.indexOf("/");
  if (slash > 0) deployment = await deps.api.readDeploymentByName(ref.slice(0, slash), ref.slice(slash + 1));
  else deployment = await deps.api.readDeployment(ref);
  if (!deployment) throw new DeploymentNotFoundError(`deployment '${ref}' not found`);
  return deployment;
}

/** The pool's type, or null when it cannot be read (then the run is dispatched with no lead). */
async function poolType(pool: string, deps: Deps): Promise<string | null> {
  try {
    return (await deps.api.readWorkPool(pool))?.type ?? null;
  } catch (error) {
    if (error instanceof PrefectApiError) return null;
    throw error;
  }
}
