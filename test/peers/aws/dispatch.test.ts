/**
 * The dispatch handler (functions/aws/dispatch.ts) fed by the moto SQS queue through an emulated
 * event source mapping, against the real Prefect server and moto ECS.
 */
import { DescribeTaskDefinitionCommand, DescribeTasksCommand } from "@aws-sdk/client-ecs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment, WorkPool } from "../../../core/prefect/types.ts";
import { snapshotOf } from "../../../core/runs/runSnapshot.ts";
import type { DispatchMessage } from "../../../core/runtime/messages.ts";
import { handler, makeDispatchHandler } from "../../../functions/aws/dispatch.ts";
import type { PrefectAdmin } from "../helpers/prefectAdmin.ts";
import { type AwsPeers, setupAwsPeers } from "./awsPeers.ts";
import { pollOnce } from "./eventSource.ts";
import { ecsPoolWithDeployment } from "./prefectEcs.ts";
import {
  captureOutput,
  handlerEnv,
  recordingRunTask,
  SECRETS,
  sleep,
  tasksOf,
  testRuntime,
} from "./runtime.ts";

let peers: AwsPeers;
let pool: WorkPool;
let deployment: Deployment;
let admin: PrefectAdmin;
const output = captureOutput();

beforeAll(async () => {
  peers = await setupAwsPeers("dispatch");
  ({ pool, deployment, admin } = await ecsPoolWithDeployment(peers));
  handlerEnv(peers, pool.name);
});
afterAll(() => output.restore());

function dispatchMessage(flowRunId: string): DispatchMessage {
  return { v: 1, kind: "dispatch", flowRunId, pool: pool.name, source: "test" };
}

async function send(body: string) {
  await peers.sqs.send(new SendMessageCommand({ QueueUrl: peers.dispatch.url, MessageBody: body }));
}

async function scheduledRun() {
  return await admin.createFlowRun(deployment.id, { scheduled_at: new Date() });
}

describe("dispatch handler", () => {
  it("turns one SQS message into one ECS task shaped by the template, and a Pending run with its pid", async () => {
    const run = await scheduledRun();
    await send(JSON.stringify(dispatchMessage(run.id)));
    const polled = await pollOnce(peers.sqs, peers.dispatch, handler);
    expect(polled).toMatchObject({ received: 1, failed: [] });

    const arns = await tasksOf(peers, run.id);
    expect(arns).toHaveLength(1);
    const { tasks } = await peers.ecs.send(
      new DescribeTasksCommand({ cluster: peers.cluster, tasks: arns, include: ["TAGS"] }),
    );
    const task = tasks?.[0];
    expect(task?.startedBy).toBe(`pushpool/${run.id}`);
    expect(task?.launchType).toBe("FARGATE");
    expect(task?.overrides?.cpu).toBe("512");
    expect(task?.overrides?.memory).toBe("1024");
    const container = task?.overrides?.containerOverrides?.[0];
    expect(container?.name).toBe("prefect");
    expect(container?.command).toEqual(["python", "-m", "prefect.engine"]);
    const env = Object.fromEntries((container?.environment ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ GREETING: "hello", PREFECT__FLOW_RUN_ID: run.id });
    expect(env.PREFECT_API_URL).toBe(process.env.PREFECT_API_URL);
    const tags = Object.fromEntries((task?.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ team: "data", "prefect.io/flow-run-id": run.id });
    const eni = task?.attachments?.[0]?.details ?? [];
    expect(eni).toContainEqual({ name: "subnetId", value: peers.subnets[0] });

    const { taskDefinition } = await peers.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: task?.taskDefinitionArn }),
    );
    expect(taskDefinition?.requiresCompatibilities).toContain("FARGATE");
    expect(taskDefinition?.networkMode).toBe("awsvpc");
    expect(taskDefinition?.containerDefinitions?.[0]).toMatchObject({
      name: "prefect",
      image: "prefecthq/prefect:3-latest",
      memory: 1024,
    });

    const after = await admin.readFlowRun(run.id);
    expect(after?.state?.type).toBe("PENDING");
    expect(after?.infrastructure_pid).toBe(`${peers.cluster}::${task?.taskArn}`);
  });

  it("starts one task for a message delivered three times in one batch", async () => {
    const run = await scheduledRun();
    const body = JSON.stringify(dispatchMessage(run.id));
    await Promise.all([send(body), send(body), send(body)]);
    let received = 0;
    for (let i = 0; i < 5 && received < 3; i++) {
      const polled = await pollOnce(peers.sqs, peers.dispatch, handler);
      expect(polled.failed).toEqual([]);
      received += polled.received;
    }
    expect(received).toBe(3);
    expect(await tasksOf(peers, run.id)).toHaveLength(1);
    expect((await admin.readFlowRun(run.id))?.infrastructure_pid).toMatch(/::arn:aws:ecs:/);
  });

  it("a batch's runs write their lines in the flow run logs in one POST, once the batch is done", async () => {
    const requests: string[] = [];
    const rt = await testRuntime(peers, pool.name, {
      onPrefectRequest: (info) => requests.push(`${info.method} ${info.path}`),
    });
    // What each POST carried (the server may refuse it: the POST is best effort, never retried,
    // and Prefect persists accepted logs in the background, so the lines are checked as sent).
    const posted: string[][] = [];
    const createLogs = rt.deps.api.createLogs.bind(rt.deps.api);
    rt.deps.api.createLogs = async (logs, options) => {
      posted.push(logs.map((l) => `${l.flow_run_id} ${l.message}`));
      return await createLogs(logs, options);
    };
    const runs = await Promise.all([scheduledRun(), scheduledRun(), scheduledRun()]);
    await Promise.all(runs.map((run) => send(JSON.stringify(dispatchMessage(run.id)))));
    let received = 0;
    for (let i = 0; i < 5 && received < 3; i++) {
      const polled = await pollOnce(
        peers.sqs,
        peers.dispatch,
        makeDispatchHandler(async () => rt),
      );
      expect(polled.failed).toEqual([]);
      received += polled.received;
      if (polled.received > 0) expect(requests.filter((r) => r === "POST /logs/")).toHaveLength(1);
      requests.length = 0;
    }
    expect(received).toBe(3);
    const lines = posted.flat();
    for (const run of runs) {
      expect(lines.filter((l) => l.startsWith(`${run.id} `))).toEqual([
        expect.stringMatching(/ pushpool submitting flow run/),
        expect.stringMatching(/ Submitted flow run .* to ECS/),
      ]);
    }
    expect(posted.length).toBeLessThanOrEqual(received);
  });

  it("a crash between RunTask and the pid: the redelivery adopts the claim's task, one task in moto", async () => {
    const { factory, tokens } = recordingRunTask();
    const rt = await testRuntime(peers, pool.name, { ecsApiFor: factory });
    let crashes = 0;
    rt.deps.faults = {
      afterSubmit: () => {
        if (crashes++ === 0) throw new Error("simulated crash after RunTask");
      },
    };
    const dispatch = makeDispatchHandler(async () => rt);
    const run = await scheduledRun();
    await send(JSON.stringify(dispatchMessage(run.id)));
    const first = await pollOnce(peers.sqs, peers.dispatch, dispatch, { visibilityTimeout: 1 });
    expect(first.failed).toHaveLength(1);
    expect((await admin.readFlowRun(run.id))?.infrastructure_pid ?? null).toBeNull();
    expect(await tasksOf(peers, run.id)).toHaveLength(1);

    await sleep(1200);
    const second = await pollOnce(peers.sqs, peers.dispatch, dispatch, { waitSeconds: 2 });
    expect(second).toMatchObject({ received: 1, failed: [] });
    // The redelivery resumed the claim and adopted the task it had started: no second RunTask.
    expect(tokens).toHaveLength(1);
    const arns = await tasksOf(peers, run.id);
    expect(arns).toHaveLength(1);
    expect((await admin.readFlowRun(run.id))?.infrastructure_pid).toBe(`${peers.cluster}::${arns[0]}`);
  });

  it("a redelivery reads the run: no claim from the old snapshot over the run that completed since", async () => {
    const run = await scheduledRun();
    const body = JSON.stringify({ ...dispatchMessage(run.id), snapshot: snapshotOf(run, new Date()) });
    await send(body);
    // The invocation submits the run, then dies before SQS hears of it (a timeout): not deleted.
    const dying = async (event: SQSEvent) => {
      await handler(event);
      throw new Error("simulated invocation timeout");
    };
    await expect(pollOnce(peers.sqs, peers.dispatch, dying, { visibilityTimeout: 1 })).rejects.toThrow(
      "simulated invocation timeout",
    );
    expect(await tasksOf(peers, run.id)).toHaveLength(1);
    // Its flow runs to the end; Prefect would accept a claim over this Completed (no persisted result).
    for (const type of ["RUNNING", "COMPLETED"] as const)
      expect(
        (await admin.client.setState(run.id, { type, name: type === "RUNNING" ? "Running" : "Completed" }))
          .status,
      ).toBe("ACCEPT");

    await sleep(1200);
    const again = await pollOnce(peers.sqs, peers.dispatch, handler, { waitSeconds: 2 });
    expect(again).toMatchObject({ received: 1, failed: [] });
    const history = await admin.client.readFlowRunStates(run.id);
    expect(history.map((s) => s.type)).toEqual(["SCHEDULED", "PENDING", "RUNNING", "COMPLETED"]);
    expect(await tasksOf(peers, run.id)).toHaveLength(1);
  });

  it("accepts a cron trigger message (EventBridge Scheduler template) and dispatches its run", async () => {
    const fired = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const trigger = {
      v: 1,
      kind: "trigger",
      deployment: deployment.id,
      idempotencyKey: `schedule:test:${fired}`,
      scheduledTime: fired,
      source: "scheduler:test",
    };
    await send(JSON.stringify(trigger));
    expect(await pollOnce(peers.sqs, peers.dispatch, handler)).toMatchObject({ received: 1, failed: [] });
    // The trigger enqueued the run's dispatch (no delay: the fire time is now − lead).
    const dispatched = await pollOnce(peers.sqs, peers.dispatch, handler, { waitSeconds: 2 });
    expect(dispatched).toMatchObject({ received: 1, failed: [] });
    const runs = await admin.client.filterFlowRuns({ workPoolNames: [pool.name], limit: 200 });
    const run = runs.find((r) => r.idempotency_key === trigger.idempotencyKey);
    expect(run?.state?.type).toBe("PENDING");
    expect(await tasksOf(peers, run?.id ?? "")).toHaveLength(1);
  });

  it("acknowledges malformed records with a log line and still processes the rest of the batch", async () => {
    const run = await scheduledRun();
    await send("{not json");
    await send(JSON.stringify({ v: 1, kind: "dispatch", flowRunId: "nope", pool: pool.name, source: "x" }));
    await send(JSON.stringify(dispatchMessage(run.id)));
    let received = 0;
    for (let i = 0; i < 5 && received < 3; i++) {
      const polled = await pollOnce(peers.sqs, peers.dispatch, handler);
      expect(polled.failed).toEqual([]);
      received += polled.received;
    }
    expect(received).toBe(3);
    expect(await tasksOf(peers, run.id)).toHaveLength(1);
    expect(output.text()).toContain("message body is not JSON");
    expect(output.text()).toContain("flowRunId: Invalid UUID");
  });

  it("reports a retryable failure as a batch item failure (Prefect unreachable) and leaks no secret", async () => {
    const rt = await testRuntime(peers, pool.name, {
      extraEnv: { PREFECT_API_URL: "http://127.0.0.1:9/api", PREFECT_CLIENT_MAX_RETRIES: "0" },
    });
    const dispatch = makeDispatchHandler(async () => rt);
    const run = await scheduledRun();
    await send(JSON.stringify(dispatchMessage(run.id)));
    const polled = await pollOnce(peers.sqs, peers.dispatch, dispatch, { visibilityTimeout: 1 });
    expect(polled.failed).toHaveLength(1);
    expect(output.text()).toContain("dispatch record failed; it will be redelivered");
    await sleep(1200);
    expect(await pollOnce(peers.sqs, peers.dispatch, handler, { waitSeconds: 2 })).toMatchObject({
      received: 1,
      failed: [],
    });
    expect(await tasksOf(peers, run.id)).toHaveLength(1);
    const logs = output.text();
    expect(logs).toContain("flow run submitted");
    for (const secret of Object.values(SECRETS)) expect(logs).not.toContain(secret);
    expect(logs).not.toContain("pp-auth-5e2d8b7c4a1f");
  });
});
