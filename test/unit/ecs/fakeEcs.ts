/**
 * A hand-written fake of the EcsApi port: task-definition families with revisions and tags, RunTask
 * with client-token idempotency (or without, like moto), DescribeTasks/StopTask, VPCs and subnets,
 * log streams. It records every call, can add latency, throws queued errors per operation, and can
 * lose RunTask answers after starting the task.
 */
import type { Tag, Task, TaskDefinition } from "@aws-sdk/client-ecs";
import type { EcsApi, RunTaskRequest, TaskDefinitionSpec } from "../../../core/backends/ecs/port.ts";

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

/** An error shaped like an AWS SDK v3 service exception. */
export function awsError(name: string, message: string, fault: "client" | "server" = "client"): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: fault === "server" ? 500 : 400 },
  });
}

type Op =
  | "listTasksStartedBy"
  | "describeTaskDefinition"
  | "listTaskDefinitionArns"
  | "registerTaskDefinition"
  | "runTask"
  | "describeTasks"
  | "stopTask"
  | "findVpc"
  | "listSubnets";

interface StoredTd {
  taskDefinition: TaskDefinition;
  tags: Tag[];
}

export class FakeEcsApi implements EcsApi {
  readonly region = REGION;
  calls: { op: Op | "deregisterTaskDefinition" | "tailLogEvents"; input: unknown }[] = [];
  latencyMs = 0;
  /** Errors to throw, consumed in order, per operation. */
  errors: Partial<Record<Op, unknown[]>> = {};
  /** RunTask responses to return instead of starting a task, consumed in order. */
  runTaskFailures: { reason: string; detail?: string }[][] = [];
  /** Errors thrown by RunTask *after* it started the task (the answer lost), consumed in order. */
  lostRunTaskAnswers: unknown[] = [];
  /** Ignore RunTask's clientToken, as moto does. */
  ignoreClientToken = false;
  families = new Map<string, StoredTd[]>();
  tasks = new Map<string, Task>();
  tokens = new Map<string, Task>();
  vpcs: { vpcId: string; isDefault: boolean; subnets: string[] }[] = [
    { vpcId: "vpc-default", isDefault: true, subnets: ["subnet-b", "subnet-a"] },
    { vpcId: "vpc-custom", isDefault: false, subnets: ["subnet-c1", "subnet-c2"] },
  ];
  logs = new Map<string, { timestamp: number; message: string }[]>();
  /** Runs once before the next registration is stored (simulates a racing process). */
  beforeRegister: (() => Promise<void>) | null = null;
  private seq = 0;

  count(op: string): number {
    return this.calls.filter((c) => c.op === op).length;
  }
  inputs<T>(op: string): T[] {
    return this.calls.filter((c) => c.op === op).map((c) => c.input as T);
  }

  private async enter(op: Op, input: unknown) {
    this.calls.push({ op, input: structuredClone(input) });
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    const queued = this.errors[op];
    if (queued && queued.length > 0) throw queued.shift();
  }

  async describeTaskDefinition(taskDefinition: string) {
    await this.enter("describeTaskDefinition", taskDefinition);
    const name = taskDefinition.startsWith("arn:") ? (taskDefinition.split("/").pop() ?? "") : taskDefinition;
    const [family, revision] = name.split(":");
    const revisions = this.families.get(family ?? "") ?? [];
    const found = revision
      ? revisions[Number(revision) - 1]
      : [...revisions].reverse().find((r) => r.taskDefinition.status === "ACTIVE");
    return found ? structuredClone(found) : null;
  }

  async listTaskDefinitionArns(family: string, limit: number) {
    await this.enter("listTaskDefinitionArns", { family, limit });
    return (this.families.get(family) ?? [])
      .filter((r) => r.taskDefinition.status === "ACTIVE")
      .map((r) => r.taskDefinition.taskDefinitionArn ?? "")
      .reverse()
      .slice(0, limit);
  }

  async registerTaskDefinition(spec: TaskDefinitionSpec) {
    await this.enter("registerTaskDefinition", spec);
    const hook = this.beforeRegister;
    this.beforeRegister = null;
    if (hook) await hook();
    const family = spec.family ?? "";
    const revisions = this.families.get(family) ?? [];
    const revision = revisions.length + 1;
    const { tags, ...rest } = structuredClone(spec);
    const taskDefinition: TaskDefinition = {
      ...(rest as TaskDefinition),
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`,
      revision,
      status: "ACTIVE",
    };
    revisions.push({ taskDefinition, tags: tags ?? [] });
    this.families.set(family, revisions);
    return structuredClone(taskDefinition);
  }

  async deregisterTaskDefinition(taskDefinitionArn: string) {
    this.calls.push({ op: "deregisterTaskDefinition", input: taskDefinitionArn });
    for (const revisions of this.families.values())
      for (const r of revisions)
        if (r.taskDefinition.taskDefinitionArn === taskDefinitionArn) r.taskDefinition.status = "INACTIVE";
  }

  async runTask(request: RunTaskRequest) {
    await this.enter("runTask", request);
    const failures = this.runTaskFailures.shift();
    if (failures) return { tasks: [], failures };
    const token = this.ignoreClientToken ? undefined : request.clientToken;
    const existing = token ? this.tokens.get(token) : undefined;
    if (existing) return { tasks: [structuredClone(existing)], failures: [] };
    const clusterName = (request.cluster ?? "default").split("/").pop() ?? "default";
    const id = (++this.seq).toString(16).padStart(32, "0");
    const task: Task = {
      taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${clusterName}/${id}`,
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${clusterName}`,
      taskDefinitionArn: request.taskDefinition,
      lastStatus: "PROVISIONING",
      desiredStatus: "RUNNING",
      startedBy: request.startedBy,
      tags: request.tags,
      createdAt: new Date(),
      containers: [],
    };
    this.tasks.set(task.taskArn ?? "", task);
    if (token) this.tokens.set(token, task);
    const lost = this.lostRunTaskAnswers.shift();
    if (lost) throw lost;
    return { tasks: [structuredClone(task)], failures: [] };
  }

  async listTasksStartedBy(cluster: string | undefined, startedBy: string) {
    await this.enter("listTasksStartedBy", { cluster, startedBy });
    return [...this.tasks.values()].filter((t) => t.startedBy === startedBy).map((t) => t.taskArn ?? "");
  }

  async describeTasks(cluster: string, taskArns: string[]) {
    await this.enter("describeTasks", { cluster, taskArns });
    const tasks = taskArns.flatMap((arn) => {
      const t = this.tasks.get(arn);
      return t ? [structuredClone(t)] : [];
    });
    const failures = taskArns.filter((a) => !this.tasks.has(a)).map((arn) => ({ arn, reason: "MISSING" }));
    return { tasks, failures };
  }

  async stopTask(cluster: string, taskArn: string, reason: string) {
    await this.enter("stopTask", { cluster, taskArn, reason });
    const task = this.tasks.get(taskArn);
    if (!task) throw awsError("InvalidParameterException", "The referenced task was not found.");
    task.desiredStatus = "STOPPED";
  }

  async findVpc(vpcId?: string) {
    await this.enter("findVpc", vpcId ?? null);
    const vpc = this.vpcs.find((v) => (vpcId ? v.vpcId === vpcId : v.isDefault));
    return vpc ? { vpcId: vpc.vpcId } : null;
  }

  async listSubnets(vpcId: string) {
    await this.enter("listSubnets", vpcId);
    return [...(this.vpcs.find((v) => v.vpcId === vpcId)?.subnets ?? [])];
  }

  async tailLogEvents(group: string, stream: string, limit: number) {
    this.calls.push({ op: "tailLogEvents", input: { group, stream, limit } });
    return (this.logs.get(`${group}|${stream}`) ?? []).slice(-limit);
  }
}
