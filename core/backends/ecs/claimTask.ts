/**
 * @module
 * Finding the task an earlier delivery of the same claim already started. RunTask's `clientToken`
 * makes a retry idempotent on AWS, but only for a while and only where it is honoured (moto ignores
 * it), so a resumed claim also looks for a task started for this flow run (`startedBy`) and tagged
 * with this claim's token, and adopts it instead of starting another. Only resumed claims pay for
 * the look-up; a first submit does not.
 */
import type { Task } from "@aws-sdk/client-ecs";
import type { EcsApi, RunTaskRequest } from "./port.ts";

/** RunTask tag carrying the claim's submit token. */
export const CLAIM_TOKEN_TAG = "pushpool.io/claim-token";

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
