/**
 * The events handler (functions/aws/events.ts): EventBridge "ECS Task State Change" events built
 * from moto's real DescribeTasks output + fixtures, delivered through the moto events queue.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment, WorkPool } from "../../../core/prefect/types.ts";
import { handler as dispatchHandler } from "../../../functions/aws/dispatch.ts";
import { handler } from "../../../functions/aws/events.ts";
import { REPO_ROOT } from "../../../functions/local/prefectServer.ts";
import type { PrefectAdmin } from "../helpers/prefectAdmin.ts";
import { type AwsPeers, setupAwsPeers } from "./awsPeers.ts";
import { drain, pollOnce } from "./eventSource.ts";
import { ecsPoolWithDeployment } from "./prefectEcs.ts";
import { captureOutput, handlerEnv, SECRETS, tasksOf } from "./runtime.ts";

type Fixture = { detail: Record<string, unknown> } & Record<string, unknown>;
const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(join(REPO_ROOT, "test", "fixtures", "aws", `sqs-${name}.json`), "utf8"));

let peers: AwsPeers;
let pool: WorkPool;
let deployment: Deployment;
let admin: PrefectAdmin;
const output = captureOutput();

beforeAll(async () => {
  peers = await setupAwsPeers("events");
  ({ pool, deployment, admin } = await ecsPoolWithDeployment(peers));
  handlerEnv(peers, pool.name);
});
afterAll(() => output.restore());

/** A run dispatched by the real dispatch handler: Pending, with its moto task. */
async function dispatchedRun() {
  const run = await admin.createFlowRun(deployment.id, { scheduled_at: new Date() });
  const body = JSON.stringify({ v: 1, kind: "dispatch", flowRunId: run.id, pool: pool.name, source: "test" });
  await peers.sqs.send(new SendMessageCommand({ QueueUrl: peers.dispatch.url, MessageBody: body }));
  await drain(peers.sqs, peers.dispatch, dispatchHandler);
  const [taskArn] = await tasksOf(peers, run.id);
  if (!taskArn) throw new Error("dispatch started no task");
  return { run, taskArn };
}

/** moto's DescribeTasks view of the task (JSON: dates as ISO strings) under a fixture's envelope and detail. */
async function eventFor(cluster: string, taskArn: string, name: string) {
  const { tasks } = await peers.ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
  const task = JSON.parse(JSON.stringify(tasks?.[0])) as Record<string, unknown>;
  const f = fixture(name);
  return { ...f, resources: [taskArn], detail: { ...task, ...f.detail } };
}

async function deliver(...bodies: unknown[]) {
  for (const body of bodies) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    await peers.sqs.send(new SendMessageCommand({ QueueUrl: peers.events.url, MessageBody: text }));
  }
  return await drain(peers.sqs, peers.events, handler);
}

describe("events handler", () => {
  it("STOPPED with exit code 1 → Crashed with the exit-code explanation", async () => {
    const { run, taskArn } = await dispatchedRun();
    await peers.ecs.send(new StopTaskCommand({ cluster: peers.cluster, task: taskArn, reason: "test" }));
    const result = await deliver(await eventFor(peers.cluster, taskArn, "ecs-task-stopped-exit1"));
    expect(result).toMatchObject({ received: 1, failed: [] });
    const after = await admin.readFlowRun(run.id);
    expect(after?.state?.type).toBe("CRASHED");
    expect(after?.state?.message).toContain("status code 1");
  });

  it("TaskFailedToStart with no containers → Crashed with the stop reason", async () => {
    const { run, taskArn } = await dispatchedRun();
    const result = await deliver(await eventFor(peers.cluster, taskArn, "ecs-task-failed-to-start"));
    expect(result.failed).toEqual([]);
    const after = await admin.readFlowRun(run.id);
    expect(after?.state?.type).toBe("CRASHED");
    expect(after?.state?.message).toContain("CannotPullContainerError");
  });

  it("PROVISIONING → InfrastructurePending; exit 0 after the run Completed → untouched", async () => {
    const { run, taskArn } = await dispatchedRun();
    await deliver(await eventFor(peers.cluster, taskArn, "ecs-task-provisioning"));
    expect((await admin.readFlowRun(run.id))?.state?.name).toBe("InfrastructurePending");

    await admin.setState(run.id, { type: "RUNNING", name: "Running" });
    await admin.setState(run.id, { type: "COMPLETED", name: "Completed" });
    const completed = await admin.readFlowRun(run.id);
    expect(await deliver(await eventFor(peers.cluster, taskArn, "ecs-task-stopped-exit0"))).toMatchObject({
      received: 1,
      failed: [],
    });
    const after = await admin.readFlowRun(run.id);
    expect(after?.state?.type).toBe("COMPLETED");
    expect(after?.state?.id).toBe(completed?.state?.id);
  });

  it("drops tasks pushpool did not start and tasks in clusters it does not serve", async () => {
    const { run, taskArn } = await dispatchedRun();
    const other = `${peers.prefix}-other`;
    await peers.ecs.send(new CreateClusterCommand({ clusterName: other }));
    const foreign = await peers.ecs.send(
      new RunTaskCommand({
        cluster: other,
        taskDefinition: (
          await peers.ecs.send(new DescribeTasksCommand({ cluster: peers.cluster, tasks: [taskArn] }))
        ).tasks?.[0]?.taskDefinitionArn,
        launchType: "FARGATE",
        startedBy: `pushpool/${run.id}`,
        networkConfiguration: {
          awsvpcConfiguration: { subnets: peers.subnets.slice(0, 1), securityGroups: [peers.securityGroup] },
        },
      }),
    );
    const inOther = await eventFor(other, foreign.tasks?.[0]?.taskArn as string, "ecs-task-stopped-exit1");
    const notOurs = await eventFor(peers.cluster, taskArn, "ecs-task-stopped-exit1");
    notOurs.detail.startedBy = "ecs-svc/1234567890";
    expect(await deliver(inOther, notOurs)).toMatchObject({ received: 2, failed: [] });
    expect((await admin.readFlowRun(run.id))?.state?.type).toBe("PENDING");
    expect(output.text()).toContain("task event dropped: cluster not served here");
    expect(output.text()).toContain("task event dropped: task not started by pushpool");
  });

  it("drops malformed records with a log line and handles the rest of the batch; no secret in logs", async () => {
    const { run, taskArn } = await dispatchedRun();
    const bad = fixture("malformed-bodies") as unknown as Record<string, unknown>;
    const good = await eventFor(peers.cluster, taskArn, "ecs-task-stopped-exit1");
    for (const body of [bad.notJson, bad.otherEvent, bad.noTaskArn, good]) {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      await peers.sqs.send(new SendMessageCommand({ QueueUrl: peers.events.url, MessageBody: text }));
    }
    const polled = await pollOnce(peers.sqs, peers.events, handler);
    expect(polled).toMatchObject({ received: 4, failed: [] });
    expect((await admin.readFlowRun(run.id))?.state?.type).toBe("CRASHED");
    const logs = output.text();
    expect(logs).toContain("SQS record body is not JSON");
    expect(logs).toContain("not an ECS Task State Change event");
    expect(logs.match(/task event record dropped/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
    for (const secret of Object.values(SECRETS)) expect(logs).not.toContain(secret);
  });
});
