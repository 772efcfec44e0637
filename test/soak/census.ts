/**
 * The soak's ground truth, read straight from the peers (never through the proxies): every run of
 * the pool, every moto task of the cluster with its `startedBy` and claim-token tag, what is left in
 * the queues and their DLQs; and the verdict on each run.
 */
import { DescribeTasksCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { GetQueueAttributesCommand, type Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { CLAIM_TOKEN_TAG } from "../../core/backends/ecs/claimTask.ts";
import { parseStartedBy } from "../../core/backends/ecs/startedBy.ts";
import type { FlowRun } from "../../core/prefect/types.ts";
import type { QueueRef, World } from "./world.ts";

export interface TaskRecord {
  arn: string;
  runId: string | null;
  token: string | null;
  desiredStatus: string;
}

export async function allRuns(world: World): Promise<FlowRun[]> {
  const runs: FlowRun[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = await world.admin.client.filterFlowRuns({
      workPoolNames: [world.pool.name],
      limit: 200,
      offset,
      sort: "ID_DESC", // a total order: pages by offset neither skip nor repeat a run
    });
    runs.push(...page);
    if (page.length < 200) return runs;
  }
}

export async function allTasks(world: World): Promise<TaskRecord[]> {
  const arns: string[] = [];
  for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
    let nextToken: string | undefined;
    do {
      const page = await world.ecs.send(
        new ListTasksCommand({ cluster: world.cluster, desiredStatus, maxResults: 100, nextToken }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  const tasks: TaskRecord[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const page = await world.ecs.send(
      new DescribeTasksCommand({ cluster: world.cluster, tasks: arns.slice(i, i + 100), include: ["TAGS"] }),
    );
    for (const t of page.tasks ?? [])
      tasks.push({
        arn: t.taskArn ?? "",
        runId: parseStartedBy(t.startedBy)?.flowRunId ?? null,
        token: t.tags?.find((tag) => tag.key === CLAIM_TOKEN_TAG)?.value ?? null,
        desiredStatus: t.desiredStatus ?? "",
      });
  }
  return tasks;
}

/** Messages visible, in flight and delayed. */
export async function queueDepth(world: World, queue: QueueRef): Promise<number> {
  const out = await world.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return Object.values(out.Attributes ?? {}).reduce((n, v) => n + Number(v), 0);
}

/** Every message of a (dead-letter) queue, left in place for an hour. */
export async function readAll(world: World, queue: QueueRef): Promise<Message[]> {
  const all = new Map<string, Message>();
  for (let empty = 0; empty < 2; ) {
    const out = await world.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, VisibilityTimeout: 3600 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) empty++;
    for (const m of messages) all.set(m.MessageId ?? "", m);
  }
  return [...all.values()];
}

export type Verdict = "ok" | "stuck" | "lost";

/** Completed, Cancelled, or Crashed with a reason is settled; Pending, Running, or due Scheduled is stuck. */
export function verdict(run: FlowRun, now = Date.now()): Verdict {
  const type = run.state?.type;
  if (type === "COMPLETED" || type === "CANCELLED") return "ok";
  if (type === "CRASHED") return run.state?.message ? "ok" : "lost";
  if (type === "PENDING" || type === "RUNNING") return "stuck";
  if (type === "SCHEDULED") {
    const due = Date.parse(run.next_scheduled_start_time ?? run.expected_start_time ?? "");
    return Number.isFinite(due) && due > now ? "ok" : "stuck";
  }
  return "lost";
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export function countBy<T>(items: readonly T[], key: (t: T) => string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== null) out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** Crashed runs by reason: the first sentence, without the common prefix, numbers generalised. */
export function crashReasons(runs: readonly FlowRun[]): string {
  const reasons = countBy(
    runs.filter((r) => r.state_type === "CRASHED"),
    (r) =>
      (r.state?.message ?? "")
        .replace(UUID, ":id")
        .replace(/^Flow run infrastructure /, "")
        .split(". ")[0]
        ?.replace(/\b\d+ s\b/g, "N s")
        .slice(0, 80) ?? "",
  );
  return [...reasons]
    .sort((a, b) => b[1] - a[1])
    .map(([m, n]) => `${n}× ${m}`)
    .join("; ");
}

/** Rows of `label | value`, as one aligned block. */
export function table(title: string, rows: ReadonlyArray<readonly [string, string | number]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(width)} | ${v}`)].join("\n");
}
