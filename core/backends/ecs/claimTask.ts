/**
 * @module
 * One ECS task per claim. RunTask carries the claim's `clientToken`, which makes a repeat
 * idempotent on AWS — but only for a while, and only where it is honoured (moto ignores it). So the
 * guarantee also rests on our own protocol: every task is started for its flow run (`startedBy`)
 * and tagged with the claim's token; RunTask goes out once per call (the SDK's automatic retry is
 * off for it: functions/aws/ecsApi.ts); and before a second RunTask for a claim whose first one may
 * have started a task, the task is looked for and adopted:
 *
 * - a **resumed** claim (an earlier delivery claimed it and may have started a task, then died)
 *   looks first;
 * - a retry after an **ambiguous** failure (connection reset, timeout, a 5xx, a response cut
 *   mid-body: the request may have been applied and only the answer lost) looks first;
 * - a retry after a failure that certainly started nothing (throttling, any other 4xx) does not.
 *
 * A first submit of a fresh claim pays for no look-up. A look-up cannot see a task whose RunTask is
 * still on its way: when a resumed claim younger than {@link CLAIM_SETTLE_MS} has no task yet (a
 * duplicate message read the run right after another delivery claimed it), the delivery that made
 * the claim may be starting one this very moment, so the look-up is repeated once the claim is that
 * old, and only then is RunTask sent.
 */
import type { Task } from "@aws-sdk/client-ecs";
import { type PushpoolError, SubmitError, TransientError } from "../../errors.ts";
import type { Logger } from "../../ports.ts";
import {
  awsErrorShape,
  classifyAwsError,
  classifyRunTaskFailure,
  THROTTLE_RETRY_SECONDS,
} from "./classify.ts";
import type { EcsApi, RunTaskRequest } from "./port.ts";

/** RunTask tag carrying the claim's submit token. */
export const CLAIM_TOKEN_TAG = "pushpool.io/claim-token";

/**
 * How long a claim may still be starting its task in the delivery that made it (claim → RunTask
 * answered takes seconds, retries included). Redeliveries after a crash and reconcile come later.
 */
export const CLAIM_SETTLE_MS = 15_000;

/** The oldest task started for `request.startedBy` and tagged with `token`, or null. */
export async function findClaimTask(
  api: EcsApi,
  request: RunTaskRequest,
  token: string,
): Promise<Task | null> {
  if (!request.startedBy) return null;
  const arns = await api.listTasksStartedBy(request.cluster, request.startedBy);
  if (arns.length === 0) return null;
  const { tasks } = await api.describeTasks(request.cluster ?? "default", arns.slice(0, 100));
  const ours = (tasks ?? []).filter((t) =>
    t.tags?.some((tag) => tag.key === CLAIM_TOKEN_TAG && tag.value === token),
  );
  ours.sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
  return ours[0] ?? null;
}

/**
 * False when a failed RunTask certainly started nothing: the service answered with a client error
 * (throttling included — AWS throttles before acting). True for everything else: no answer
 * (reset, timeout), a 5xx, or a success whose body was cut.
 */
export function mayHaveStarted(error: unknown): boolean {
  const { status } = awsErrorShape(error);
  return !(status !== undefined && status >= 400 && status < 500 && status !== 408);
}

export interface StartOptions {
  /** True when an earlier delivery made this claim (it may have started a task). */
  resumed: boolean;
  /** When the claim was made (ms; NaN when unknown: treated as old). */
  claimedAt: number;
  now(): number;
  /** RunTask attempts in this call (throttling, 5xx, network errors); then a TransientError. */
  attempts: number;
  /** Classifies a RunTask error (with Prefect's friendly messages). */
  classify(error: unknown): PushpoolError;
  sleep(ms: number): Promise<void>;
  random(): number;
  logger: Logger;
}

/** Starts the claim's task (or adopts the one it already has). */
export async function startClaimTask(
  api: EcsApi,
  request: RunTaskRequest,
  token: string,
  o: StartOptions,
): Promise<{ task: Task; adopted: boolean }> {
  const adopt = (task: Task, after: string) => {
    o.logger.info("Found the ECS task of this claim; not starting another", {
      startedBy: request.startedBy,
      taskArn: task.taskArn,
      after,
    });
    return { task, adopted: true };
  };
  let lookFirst = o.resumed;
  for (let attempt = 1; ; attempt++) {
    if (lookFirst) {
      const found = await lookUp(api, request, token);
      if (found) return adopt(found, attempt > 1 ? "an ambiguous RunTask failure" : "a resumed claim");
      const young = CLAIM_SETTLE_MS - (o.now() - o.claimedAt);
      if (attempt === 1 && o.resumed && young > 0) {
        o.logger.info("Claim too young to resume: waiting for the task its delivery may be starting", {
          startedBy: request.startedBy,
          waitMs: Math.round(young),
        });
        await o.sleep(young);
        const late = await lookUp(api, request, token);
        if (late) return adopt(late, "a young resumed claim");
      }
    }
    let out: Awaited<ReturnType<EcsApi["runTask"]>>;
    try {
      out = await api.runTask(request);
    } catch (error) {
      const classified = o.classify(error);
      const quick =
        classified instanceof TransientError &&
        (classified.retryAfterSeconds ?? 0) <= THROTTLE_RETRY_SECONDS &&
        attempt < o.attempts;
      // Not retried here: redelivered, and the next delivery resumes the claim (it looks first).
      if (!quick) throw classified;
      // Once a RunTask of this call may have started a task, every further one looks first.
      lookFirst ||= mayHaveStarted(error);
      o.logger.warn("retrying RunTask", {
        startedBy: request.startedBy,
        attempt,
        reason: awsErrorShape(error).message,
        lookFirst,
      });
      await o.sleep(1000 + o.random() * 3000);
      continue;
    }
    const failure = out.failures?.[0];
    if (failure) throw classifyRunTaskFailure(failure);
    const task = out.tasks?.[0];
    if (!task?.taskArn) throw new SubmitError("Failed to run ECS task: no tasks or failures were returned.");
    return { task, adopted: false };
  }
}

/** {@link findClaimTask}, its failures classified (a transient one is redelivered, still resumed). */
async function lookUp(api: EcsApi, request: RunTaskRequest, token: string): Promise<Task | null> {
  try {
    return await findClaimTask(api, request, token);
  } catch (error) {
    throw classifyAwsError(error, "Failed to look for the ECS task of this claim");
  }
}
