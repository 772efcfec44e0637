/**
 * Cancelling a flow whose ECS task is running (moto + the real Prefect server): the tick handler
 * leaves it to the in-container runner during the cancel grace, then stops the task (StopTask, the
 * task STOPPED on moto) and marks the run Cancelled with Prefect's message — in one tick.
 */
import { DescribeTasksCommand, type Task } from "@aws-sdk/client-ecs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Deployment, WorkPool } from "../../../core/prefect/types.ts";
import { CANCEL_MESSAGES } from "../../../core/runs/cancel.ts";
import { handler as dispatchHandler } from "../../../functions/aws/dispatch.ts";
import { makeTickHandler } from "../../../functions/aws/tick.ts";
import type { PrefectAdmin } from "../helpers/prefectAdmin.ts";
import { type AwsPeers, setupAwsPeers } from "./awsPeers.ts";
import { drain } from "./eventSource.ts";
import { ecsPoolWithDeployment } from "./prefectEcs.ts";
import { handlerEnv, tasksOf, testRuntime } from "./runtime.ts";

let peers: AwsPeers;
let pool: WorkPool;
let deployment: Deployment;
let admin: PrefectAdmin;

beforeAll(async () => {
  peers = await setupAwsPeers("cancel");
  ({ pool, deployment, admin } = await ecsPoolWithDeployment(peers));
  handlerEnv(peers, pool.name);
});

async function describeTask(taskArn: string): Promise<Task | undefined> {
  const { tasks } = await peers.ecs.send(
    new DescribeTasksCommand({ cluster: peers.cluster, tasks: [taskArn] }),
  );
  return tasks?.[0];
}

/** A run dispatched to a moto task, started by its flow (Running), then cancelled. */
async function runningThenCancelling() {
  const run = await admin.createFlowRun(deployment.id, { scheduled_at: new Date() });
  const body = JSON.stringify({ v: 1, kind: "dispatch", flowRunId: run.id, pool: pool.name, source: "t" });
  await peers.sqs.send(new SendMessageCommand({ QueueUrl: peers.dispatch.url, MessageBody: body }));
  await drain(peers.sqs, peers.dispatch, dispatchHandler);
  const [taskArn] = await tasksOf(peers, run.id);
  if (!taskArn) throw new Error("dispatch started no task");
  // (moto advances `lastStatus` on every describe; `desiredStatus` changes only on StopTask.)
  expect((await describeTask(taskArn))?.desiredStatus).toBe("RUNNING");
  // What the engine in the container does when the flow starts, then `prefect flow-run cancel`.
  expect((await admin.setState(run.id, { type: "RUNNING", name: "Running" }, false)).status).toBe("ACCEPT");
  expect((await admin.setState(run.id, { type: "CANCELLING", name: "Cancelling" }, false)).status).toBe(
    "ACCEPT",
  );
  const started = await admin.readFlowRun(run.id);
  expect(started?.start_time).toBeTruthy();
  return { run, taskArn };
}

describe("cancelling a running ECS flow", () => {
  it("waits the cancel grace for the in-container runner, then one tick stops the task and cancels the run", async () => {
    const { run, taskArn } = await runningThenCancelling();

    const patient = await testRuntime(peers, pool.name, {
      extraEnv: { PUSHPOOL_CANCEL_GRACE_SECONDS: "3600" },
    });
    const waiting = await makeTickHandler(async () => patient)({});
    expect(waiting.reconciled).toContainEqual({ flowRunId: run.id, action: "none", detail: "cancel grace" });
    expect((await describeTask(taskArn))?.desiredStatus).toBe("RUNNING");
    expect((await admin.readFlowRun(run.id))?.state?.type).toBe("CANCELLING");

    const due = await testRuntime(peers, pool.name, { extraEnv: { PUSHPOOL_CANCEL_GRACE_SECONDS: "0" } });
    const result = await makeTickHandler(async () => due)({});
    expect(result.reconciled).toContainEqual({
      flowRunId: run.id,
      action: "cancelled",
      detail: "infrastructure killed",
    });
    const task = await describeTask(taskArn);
    expect(task?.desiredStatus).toBe("STOPPED");
    expect(task?.stoppedReason).toBe("Stopped by pushpool");
    expect(await tasksOf(peers, run.id, "STOPPED")).toEqual([taskArn]);
    const after = await admin.readFlowRun(run.id);
    expect(after?.state).toMatchObject({
      type: "CANCELLED",
      name: "Cancelled",
      message: CANCEL_MESSAGES.started,
    });

    // The next tick leaves the Cancelled run (and its stopped task) alone: no second StopTask.
    const again = await makeTickHandler(async () => due)({});
    expect(again.reconciled.filter((r) => r.flowRunId === run.id)).toEqual([]);
  });
});
