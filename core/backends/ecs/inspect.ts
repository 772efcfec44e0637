/**
 * @module
 * What became of ECS tasks, for the reconcile: DescribeTasks of one task (`inspect`) or of many
 * (`inspectMany`: grouped by credentials and cluster, 100 tasks per call, as the API allows; the
 * reconcile of a pool with 200 runs in flight makes 2 calls, not 200). A task ECS does not know is
 * `gone` (with ECS's failure reason); a missing cluster makes every task in it `gone`; any other
 * error is classified as the single inspect's, for the tasks of that call only.
 */
import type { Task } from "@aws-sdk/client-ecs";
import type { InfraStatus, InspectItem, InspectOutcome } from "../../ports/backend.ts";
import { awsErrorShape, classifyAwsError } from "./classify.ts";
import { parsePid, taskIdOf } from "./pid.ts";
import type { EcsApi } from "./port.ts";
import { parseStartedBy } from "./startedBy.ts";
import { taskStatus } from "./status.ts";

/** The most tasks one DescribeTasks call accepts. */
export const DESCRIBE_TASKS_MAX = 100;

/** What describing a task needs of an item: its pid, and its configuration for the credentials. */
export type TaskItem = Pick<InspectItem, "pid" | "config">;

export interface InspectPorts {
  apiFor(item: TaskItem, taskArn: string): EcsApi;
}

interface Entry {
  index: number;
  taskArn: string;
}

export async function inspectTasks(
  items: readonly TaskItem[],
  ports: InspectPorts,
): Promise<InspectOutcome[]> {
  const out: InspectOutcome[] = new Array(items.length);
  const groups = new Map<EcsApi, Map<string, Entry[]>>();
  for (const [index, item] of items.entries()) {
    const parsed = parsePid(item.pid);
    if (!parsed) {
      out[index] = { status: { state: "gone", reason: `'${item.pid}' is not an ECS task pid.` } };
      continue;
    }
    const api = ports.apiFor(item, parsed.taskArn);
    const clusters = groups.get(api) ?? new Map<string, Entry[]>();
    groups.set(api, clusters);
    const entries = clusters.get(parsed.cluster) ?? [];
    clusters.set(parsed.cluster, entries);
    entries.push({ index, taskArn: parsed.taskArn });
  }
  const calls: Promise<void>[] = [];
  for (const [api, clusters] of groups)
    for (const [cluster, entries] of clusters)
      for (let i = 0; i < entries.length; i += DESCRIBE_TASKS_MAX)
        calls.push(describeInto(api, cluster, entries.slice(i, i + DESCRIBE_TASKS_MAX), out));
  await Promise.all(calls);
  return out;
}

async function describeInto(api: EcsApi, cluster: string, entries: Entry[], out: InspectOutcome[]) {
  let answer: Awaited<ReturnType<EcsApi["describeTasks"]>>;
  try {
    answer = await api.describeTasks(
      cluster,
      entries.map((e) => e.taskArn),
    );
  } catch (error) {
    const outcome: InspectOutcome =
      awsErrorShape(error).name === "ClusterNotFoundException"
        ? { status: { state: "gone", reason: `ECS cluster '${cluster}' not found.` } }
        : { error: classifyAwsError(error, "Failed to describe ECS task") };
    for (const e of entries) out[e.index] = outcome;
    return;
  }
  const tasks = answer.tasks ?? [];
  for (const e of entries) {
    // The ARN as RunTask returned it; by task id when ECS spells it the other (old or new) way.
    // The ARN as RunTask returned it; by task id when ECS spells it the other (old or new) way;
    // the only task of a one-task call.
    const task =
      tasks.find((t) => t.taskArn === e.taskArn) ??
      tasks.find((t) => taskIdOf(t.taskArn ?? "") === taskIdOf(e.taskArn)) ??
      (entries.length === 1 ? tasks[0] : undefined);
    const failure =
      answer.failures?.find((f) => f.arn === e.taskArn) ??
      (entries.length === 1 ? answer.failures?.[0] : undefined);
    out[e.index] = { status: statusOf(task, e.taskArn, cluster, failure?.reason) };
  }
}

function statusOf(task: Task | undefined, taskArn: string, cluster: string, why?: string): InfraStatus {
  if (!task)
    return {
      state: "gone",
      reason: `ECS task ${taskArn} not found in cluster ${cluster}${why ? ` (${why})` : ""}.`,
    };
  return taskStatus(task, parseStartedBy(task.startedBy)?.containerName ?? null);
}
