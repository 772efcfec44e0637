/**
 * The tick handler (functions/aws/tick.ts): enqueue due runs on the moto SQS queue with the right
 * DelaySeconds, then reconcile — a Pending run without a pid is resubmitted, a cancelled Pending
 * run's task is stopped in moto and the run Cancelled.
 */
import { DescribeTasksCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Deployment, WorkPool } from "../../../core/prefect/types.ts";
import { handler as dispatchHandler, makeDispatchHandler } from "../../../functions/aws/dispatch.ts";
import { makeTickHandler, handler as tickHandler } from "../../../functions/aws/tick.ts";
import type { PrefectAdmin } from "../helpers/prefectAdmin.ts";
import { type AwsPeers, purge, setupAwsPeers } from "./awsPeers.ts";
import { drain, pollOnce } from "./eventSource.ts";
import { ecsPoolWithDeployment } from "./prefectEcs.ts";
import { handlerEnv, sleep, tasksOf, testRuntime } from "./runtime.ts";

let peers: AwsPeers;
let pool: WorkPool;
let deployment: Deployment;
let admin: PrefectAdmin;

beforeAll(async () => {
  peers = await setupAwsPeers("tick");
  ({ pool, deployment, admin } = await ecsPoolWithDeployment(peers));
  handlerEnv(peers, pool.name);
});

const inSeconds = (s: number) => new Date(Date.now() + s * 1000);

async function receiveBodies(): Promise<{ flowRunId: string; notBefore?: string; source: string }[]> {
  const out = await peers.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: peers.dispatch.url,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 60,
    }),
  );
  return (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? "{}"));
}

describe("tick handler", () => {
  it("enqueues runs due before the next tick with DelaySeconds = scheduled − lead − now; later runs wait", async () => {
    await purge(peers.sqs, peers.dispatch);
    // ecs lead is 45 s; tick 60 s (+2 s margin); horizon 120 s.
    const now = await admin.createFlowRun(deployment.id, { scheduled_at: inSeconds(30) });
    const soon = await admin.createFlowRun(deployment.id, { scheduled_at: inSeconds(49) });
    const later = await admin.createFlowRun(deployment.id, { scheduled_at: inSeconds(100) });
    const beyond = await admin.createFlowRun(deployment.id, { scheduled_at: inSeconds(115) });

    const result = await tickHandler({});
    expect(result.ticked).toEqual([{ pool: pool.name, enqueued: 3, warmed: 1 }]);

    const first = await receiveBodies();
    expect(first.map((b) => b.flowRunId)).toEqual([now.id]);
    expect(first[0]?.source).toBe("tick");
    const attrs = await peers.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: peers.dispatch.url,
        AttributeNames: ["ApproximateNumberOfMessagesDelayed"],
      }),
    );
    expect(attrs.Attributes?.ApproximateNumberOfMessagesDelayed).toBe("2");

    await sleep(4500); // `soon` is delivered at scheduled − 45 s ≈ now + 4 s
    const second = await receiveBodies();
    expect(second.map((b) => b.flowRunId)).toEqual([soon.id]);
    const notBefore = Date.parse(second[0]?.notBefore ?? "");
    expect(Math.abs(notBefore - (Date.parse(soon.next_scheduled_start_time ?? "") - 45_000))).toBeLessThan(
      1000,
    );
    const ids = [...first, ...second].map((b) => b.flowRunId);
    expect(ids).not.toContain(later.id);
    expect(ids).not.toContain(beyond.id);

    const workers = await admin.rest<{ name: string }[]>(
      "POST",
      `/work_pools/${encodeURIComponent(pool.name)}/workers/filter`,
      {},
    );
    expect(workers.map((w) => w.name)).toContain("pushpool");
  });

  it("reconcile resubmits our Pending run that has no pid (dispatcher died after the claim)", async () => {
    // (No second purge: SQS allows one per 60 s; the first test's messages are in flight or delayed.)
    const rt = await testRuntime(peers, pool.name, { extraEnv: { PUSHPOOL_START_TIMEOUT_SECONDS: "2" } });
    rt.deps.faults = {
      afterClaim: () => {
        throw new Error("simulated crash after the claim");
      },
    };
    const run = await admin.createFlowRun(deployment.id, { scheduled_at: new Date() });
    const body = JSON.stringify({ v: 1, kind: "dispatch", flowRunId: run.id, pool: pool.name, source: "t" });
    await peers.sqs.send(new SendMessageCommand({ QueueUrl: peers.dispatch.url, MessageBody: body }));
    expect(
      (
        await pollOnce(
          peers.sqs,
          peers.dispatch,
          makeDispatchHandler(async () => rt),
        )
      ).failed,
    ).toHaveLength(1);
    const claimed = await admin.readFlowRun(run.id);
    expect(claimed?.state?.type).toBe("PENDING");
    expect(claimed?.infrastructure_pid ?? null).toBeNull();
    expect(await tasksOf(peers, run.id)).toHaveLength(0);

    rt.deps.faults = {};
    await sleep(2500);
    const result = await makeTickHandler(async () => rt)({});
    expect(result.reconciled).toContainEqual(
      expect.objectContaining({ flowRunId: run.id, action: "resubmitted" }),
    );
    const arns = await tasksOf(peers, run.id);
    expect(arns).toHaveLength(1);
    expect((await admin.readFlowRun(run.id))?.infrastructure_pid).toBe(`${peers.cluster}::${arns[0]}`);
  });

  it("cancelling a Pending run stops its task in moto (StopTask), then the run is Cancelled", async () => {
    const run = await admin.createFlowRun(deployment.id, { scheduled_at: new Date() });
    const body = JSON.stringify({ v: 1, kind: "dispatch", flowRunId: run.id, pool: pool.name, source: "t" });
    await peers.sqs.send(new SendMessageCommand({ QueueUrl: peers.dispatch.url, MessageBody: body }));
    await drain(peers.sqs, peers.dispatch, dispatchHandler);
    const [taskArn] = await tasksOf(peers, run.id);
    expect(taskArn).toBeDefined();
    await admin.setState(run.id, { type: "CANCELLING", name: "Cancelling" });

    const result = await tickHandler({});
    expect(result.reconciled).toContainEqual(
      expect.objectContaining({ flowRunId: run.id, action: "cancelled" }),
    );
    const stopped = await peers.ecs.send(
      new ListTasksCommand({
        cluster: peers.cluster,
        startedBy: `pushpool/${run.id}`,
        desiredStatus: "STOPPED",
      }),
    );
    expect(stopped.taskArns).toEqual([taskArn]);
    const { tasks } = await peers.ecs.send(
      new DescribeTasksCommand({ cluster: peers.cluster, tasks: [taskArn as string] }),
    );
    expect(tasks?.[0]?.desiredStatus).toBe("STOPPED");
    expect(tasks?.[0]?.stoppedReason).toBe("Stopped by pushpool");
    expect((await admin.readFlowRun(run.id))?.state?.type).toBe("CANCELLED");
  });
});
