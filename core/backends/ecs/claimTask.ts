/**
 * @module
 * The ECS primitives of the start-once protocol (core/backends/startOnce.ts): every task is
 * started for its flow run (`startedBy`) and tagged with the claim's token, RunTask carries the
 * token as `clientToken` (idempotent on AWS for a while; moto ignores it) and goes out once per
 * call (the SDK's automatic retry is off for it: functions/aws/ecsApi.ts), and a claim's task is
 * found by ListTasks(startedBy) + DescribeTasks filtered on the token tag.
 */
import type { Task } from "@aws-sdk/client-ecs";
import { type PushpoolError, SubmitError } from "../../shared/errors.ts";
import { awsErrorShape, classifyAwsError, classifyRunTaskFailure } from "./classify.ts";
import type { EcsApi, RunTaskRequest } from "./port.ts";

/** RunTask tag carrying the claim's submit token. */
export const CLAIM_TOKEN_TAG = "pushpool.io/claim-token";

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
 * (reset, timeout), a 5xx, or a success whose body was cut. Looks through a classified error to
 * the AWS error that caused it.
 */
export function mayHaveStarted(error: unknown): boolean {
  const raw = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const { status } = awsErrorShape(raw);
  return !(status !== undefined && status >= 400 && status < 500 && status !== 408);
}

/** One RunTask for the claim (never retried here: core/backends/startOnce.ts decides). */
export async function runClaimTask(
  api: EcsApi,
  request: RunTaskRequest,
  classify: (error: unknown) => PushpoolError,
): Promise<Task> {
  let out: Awaited<ReturnType<EcsApi["runTask"]>>;
  try {
    out = await api.runTask(request);
  } catch (error) {
    throw classify(error);
  }
  const failure = out.failures?.[0];
  if (failure) throw classifyRunTaskFailure(failure);
  const task = out.tasks?.[0];
  if (!task?.taskArn) throw new SubmitError("Failed to run ECS task: no tasks or failures were returned.");
  return task;
}

/** {@link findClaimTask}, its failures classified (a transient one is redelivered, still resumed). */
export async function lookUpClaimTask(
  api: EcsApi,
  request: RunTaskRequest,
  token: string,
): Promise<Task | null> {
  try {
    return await findClaimTask(api, request, token);
  } catch (error) {
    throw classifyAwsError(error, "Failed to look for the ECS task of this claim");
  }
}
