/**
 * The flow "container". moto tasks never run code, so the soak plays both the flow engine and ECS:
 *
 * - a new task → a PROVISIONING `ECS Task State Change` event on the events queue (as EventBridge
 *   would send; it lets the events handler adopt the pid of a task whose dispatcher died);
 * - a task whose run is Pending with that task as its pid → the flow proposes RUNNING then
 *   COMPLETED through the real Prefect API (unproxied, as a container would), the task stops with
 *   exit 0 (StopTask) and a STOPPED event follows, built from moto's DescribeTasks; a seeded share
 *   of tasks fails instead (exit 1 before Running), so the Crashed path runs too;
 * - a task nobody will run (its run finished, or its pid names another task) exits after a grace
 *   period, as a real container finds its run finished and stops.
 *
 * It also watches for two tasks of one run running at the same time.
 */
import { randomUUID } from "node:crypto";
import { DescribeTasksCommand, ListTasksCommand, StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { CLAIM_TOKEN_TAG } from "../../core/backends/ecs/claimTask.ts";
import { parseStartedBy } from "../../core/backends/ecs/startedBy.ts";
import { type FlowRun, TERMINAL_STATES } from "../../core/prefect/types.ts";
import { REGION, type World } from "./world.ts";

export interface TaskInfo {
  runId: string | null;
  token: string | null;
  seenAt: number;
  outcome: "completed" | "failed" | "orphan" | null;
}

export interface EngineStats {
  tasks: Map<string, TaskInfo>;
  completed: number;
  failed: number;
  orphans: number;
  eventsSent: number;
  /** `<run>: <arn>, <arn>` for every moment one run had two RUNNING tasks. */
  overlaps: string[];
  /** Runs whose Completed the flow saw accepted: they must end Completed. */
  completedRuns: Set<string>;
  passErrors: number;
  lastError: string | null;
}

export interface EngineOptions {
  world: World;
  failRate: number;
  random: () => number;
  intervalMs?: number;
  orphanGraceMs?: number;
  /** Each step of a run's task (event sent, flow state accepted, exit), as progress of that run. */
  onProgress?(runId: string, what: string): void;
}

const shortArn = (arn: string | undefined) => (arn ?? "?").slice(-8);
const pidTask = (pid: string) => (pid.includes("::") ? pid.slice(pid.indexOf("::") + 2) : pid);

export function startEngine(o: EngineOptions) {
  const { world } = o;
  const stats: EngineStats = {
    tasks: new Map(),
    completed: 0,
    failed: 0,
    orphans: 0,
    eventsSent: 0,
    overlaps: [],
    completedRuns: new Set(),
    passErrors: 0,
    lastError: null,
  };
  let running = true;
  let runningArns: string[] = [];
  const busy = new Set<string>();

  const sendEvent = async (task: Task, detail: Record<string, unknown>) => {
    const plain = JSON.parse(JSON.stringify(task)) as Record<string, unknown>;
    delete plain.tags;
    const event = {
      version: "0",
      id: randomUUID(),
      "detail-type": "ECS Task State Change",
      source: "aws.ecs",
      account: "123456789012",
      time: new Date().toISOString(),
      region: REGION,
      resources: [task.taskArn],
      detail: { ...plain, ...detail },
    };
    await world.sqs.send(
      new SendMessageCommand({ QueueUrl: world.events.url, MessageBody: JSON.stringify(event) }),
    );
    stats.eventsSent++;
    const runId = parseStartedBy(task.startedBy)?.flowRunId;
    if (runId) o.onProgress?.(runId, `ECS event ${detail.lastStatus} of task ${shortArn(task.taskArn)}`);
  };

  const describe = async (arns: string[]): Promise<Task[]> => {
    const out: Task[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const page = await world.ecs.send(
        new DescribeTasksCommand({
          cluster: world.cluster,
          tasks: arns.slice(i, i + 100),
          include: ["TAGS"],
        }),
      );
      out.push(...(page.tasks ?? []));
    }
    return out;
  };

  const listRunning = async (): Promise<string[]> => {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await world.ecs.send(
        new ListTasksCommand({
          cluster: world.cluster,
          desiredStatus: "RUNNING",
          maxResults: 100,
          nextToken,
        }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  };

  const exit = async (arn: string, info: TaskInfo, outcome: TaskInfo["outcome"], code: number) => {
    await world.ecs.send(
      new StopTaskCommand({
        cluster: world.cluster,
        task: arn,
        reason: "Essential container in task exited",
      }),
    );
    info.outcome = outcome;
    const [task] = await describe([arn]);
    if (!task) return;
    await sendEvent(task, {
      lastStatus: "STOPPED",
      desiredStatus: "STOPPED",
      stopCode: "EssentialContainerExited",
      stoppedReason: "Essential container in task exited",
      stoppedAt: new Date().toISOString(),
      containers: (task.containers ?? []).map((c) => ({
        ...JSON.parse(JSON.stringify(c)),
        lastStatus: "STOPPED",
        exitCode: code,
      })),
    });
  };

  /** The flow process: Running, then Completed, then the container exits 0; or it dies first (exit 1). */
  const runFlow = async (arn: string, info: TaskInfo, run: FlowRun) => {
    if (run.state?.type === "PENDING" && o.random() < o.failRate) {
      stats.failed++;
      return await exit(arn, info, "failed", 1);
    }
    const api = world.admin.client;
    const state = (type: "RUNNING" | "COMPLETED") =>
      api.setState(run.id, { type, name: type === "RUNNING" ? "Running" : "Completed" });
    const started = run.state?.type === "RUNNING" || (await state("RUNNING")).status === "ACCEPT";
    o.onProgress?.(run.id, `flow ${started ? "running" : "refused Running"} in ${shortArn(arn)}`);
    if (started && (await state("COMPLETED")).status === "ACCEPT") {
      stats.completed++;
      stats.completedRuns.add(run.id);
      o.onProgress?.(run.id, `flow completed in ${shortArn(arn)}`);
    }
    await exit(arn, info, "completed", 0);
  };

  const pass = async () => {
    runningArns = await listRunning();
    const fresh = runningArns.filter((a) => !stats.tasks.has(a));
    for (const task of await describe(fresh)) {
      const arn = task.taskArn ?? "";
      const token = task.tags?.find((t) => t.key === CLAIM_TOKEN_TAG)?.value ?? null;
      stats.tasks.set(arn, {
        runId: parseStartedBy(task.startedBy)?.flowRunId ?? null,
        token,
        seenAt: Date.now(),
        outcome: null,
      });
      await sendEvent(task, { lastStatus: "PROVISIONING", desiredStatus: "RUNNING" });
    }
    const byRun = new Map<string, string[]>();
    for (const arn of runningArns) {
      const run = stats.tasks.get(arn)?.runId;
      if (run) byRun.set(run, [...(byRun.get(run) ?? []), arn]);
    }
    for (const [run, arns] of byRun) if (arns.length > 1) stats.overlaps.push(`${run}: ${arns.join(", ")}`);

    // Only the runs of running tasks not yet handled: the soak's own reads load the server too.
    const candidates = [
      ...new Set(
        runningArns
          .filter((a) => !busy.has(a) && !stats.tasks.get(a)?.outcome)
          .map((a) => stats.tasks.get(a)?.runId)
          .filter((id): id is string => !!id),
      ),
    ];
    const pending: FlowRun[] = [];
    for (let i = 0; i < candidates.length; i += 200)
      pending.push(
        ...(await world.admin.client.filterFlowRuns({
          ids: candidates.slice(i, i + 200),
          stateTypes: ["PENDING", "RUNNING"],
          limit: 200,
        })),
      );
    const work: Promise<void>[] = [];
    const claimed = new Set<string>();
    for (const run of pending) {
      if (!run.infrastructure_pid) continue;
      const arn = pidTask(run.infrastructure_pid);
      const info = stats.tasks.get(arn);
      if (!info || info.outcome || busy.has(arn) || !runningArns.includes(arn)) continue;
      claimed.add(arn);
      busy.add(arn);
      work.push(runFlow(arn, info, run).finally(() => busy.delete(arn)));
    }
    const grace = o.orphanGraceMs ?? 15_000;
    for (const arn of runningArns) {
      const info = stats.tasks.get(arn);
      if (!info || info.outcome || claimed.has(arn) || busy.has(arn) || Date.now() - info.seenAt < grace)
        continue;
      const run = info.runId ? await world.admin.client.readFlowRun(info.runId) : null;
      const type = run?.state?.type;
      const ours = run?.infrastructure_pid && pidTask(run.infrastructure_pid) === arn;
      if (!run || (type && TERMINAL_STATES.has(type)) || (run.infrastructure_pid && !ours)) {
        stats.orphans++;
        work.push(exit(arn, info, "orphan", 0));
      }
    }
    await Promise.all(work);
  };

  const loop = (async () => {
    while (running) {
      try {
        await pass();
      } catch (error) {
        stats.passErrors++;
        stats.lastError = (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
    }
  })();

  return {
    stats,
    /** Tasks still running (each will be run or stopped by a later pass). */
    running: () => runningArns.length,
    async stop() {
      running = false;
      await loop;
    },
  };
}
