/**
 * @module
 * `create_flow_run` as a trigger needs it: robust against a busy server. The call carries the
 * trigger's idempotency key, so repeating it never makes a second run, which makes two things safe:
 *
 * - **Retrying for longer** than the Prefect client's own retries, on any retryable failure,
 *   jittered, until a time budget (counted from the start) is spent. On a SQLite-backed Prefect
 *   server `create_flow_run` reads, then writes, in a deferred transaction: any write committed in
 *   between makes it fail at once with 503 ("database is locked"), so while dispatches write
 *   quickly (a burst of due runs) nearly every attempt fails, for as long as the burst lasts. Then
 *   the error goes to the caller: the queue redelivers the message (and dead-letters it only after
 *   `maxReceiveCount` deliveries, each with its budget), the webhook answers 502 and its caller
 *   retries.
 * - **One create at a time per runtime** (per Prefect client: one Lambda instance, one local stack),
 *   so the triggers of one batch do not fail each other the same way — but no trigger waits more
 *   than {@link LANE_WAIT_MS} for its turn, so a batch still ends within about one budget.
 */

import type { FlowRun, FlowRunCreate } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import { describeError, isRetryable } from "../shared/errors.ts";
import { retry } from "../shared/retry.ts";

/** Budget for a trigger from the queue: with its last call, well inside the dispatch function's 60 s. */
export const QUEUE_CREATE_BUDGET_MS = 30_000;
/** Budget for a webhook call, whose function answers within 20 s (the client's retries come on top). */
export const WEBHOOK_CREATE_BUDGET_MS = 3_000;
/** Longest wait for the runtime's previous create before going ahead anyway. */
export const LANE_WAIT_MS = 5_000;

/**
 * Waits between our attempts (each already includes the client's own backed-off retries):
 * 0.25–1 s, growing to 1–4 s; jittered, so runtimes do not retry in step.
 */
function backoffMs(attempt: number, random: () => number): number {
  const scale = Math.min(4, attempt);
  return Math.round(scale * (250 + random() * 750));
}

const lanes = new WeakMap<object, Promise<void>>();

/** Runs `task` once the lane's previous task has settled, or after {@link LANE_WAIT_MS}. */
async function inLane<T>(lane: object, task: () => Promise<T>): Promise<T> {
  const previous = lanes.get(lane) ?? Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, LANE_WAIT_MS);
  });
  const run = Promise.race([previous, waited]).then(() => {
    clearTimeout(timer);
    return task();
  });
  lanes.set(
    lane,
    run.then(
      () => undefined,
      () => undefined,
    ),
  );
  return await run;
}

export interface CreateOptions {
  budgetMs: number;
  random?: () => number;
}

export async function createFlowRunPatiently(
  deps: Pick<Deps, "api" | "clock" | "logger">,
  deploymentId: string,
  body: FlowRunCreate,
  options: CreateOptions,
): Promise<FlowRun> {
  const random = options.random ?? Math.random;
  return await retry(() => inLane(deps.api, () => deps.api.createFlowRun(deploymentId, body)), {
    budgetMs: options.budgetMs,
    now: () => deps.clock.now().getTime(),
    retryable: isRetryable,
    delayMs: (attempt) => backoffMs(attempt, random),
    sleep: (ms) => deps.clock.sleep(ms),
    onRetry: (error, attempt, delayMs) =>
      deps.logger.warn("create_flow_run failed; retrying (idempotent)", {
        deployment: deploymentId,
        attempt,
        delayMs,
        reason: describeError(error),
      }),
  });
}
