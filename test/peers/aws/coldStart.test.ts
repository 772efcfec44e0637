/**
 * The start-up checks on AWS (functions/aws/wiring.ts) and `pushpool doctor`'s ECS rows, on moto and
 * the real Prefect server: a cold start with a bad configuration logs one error line with the fix
 * and fails the invocation (SQS redelivers its records), and recovers without a restart once the
 * configuration is right; doctor sees the cluster, registers the task definition, resolves subnets.
 */
import { randomUUID } from "node:crypto";
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkPool } from "../../../core/prefect/types.ts";
import { PreflightError } from "../../../core/runtime/preflight.ts";
import { handler as dispatchHandler } from "../../../functions/aws/dispatch.ts";
import { resetRuntime, runtime } from "../../../functions/aws/wiring.ts";
import { doctorRows } from "../../../functions/local/doctor.ts";
import { type AwsPeers, setupAwsPeers } from "./awsPeers.ts";
import { ecsPoolWithDeployment } from "./prefectEcs.ts";
import { captureOutput, handlerEnv } from "./runtime.ts";

let peers: AwsPeers;
let pool: WorkPool;

beforeAll(async () => {
  peers = await setupAwsPeers("coldstart");
  ({ pool } = await ecsPoolWithDeployment(peers));
});

afterAll(() => {
  resetRuntime();
});

function sqsEvent(body: unknown): SQSEvent {
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: "r",
        body: JSON.stringify(body),
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: String(Date.now()),
          SenderId: "test",
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: peers.dispatch.arn,
        awsRegion: "us-east-1",
      },
    ],
  };
}

describe("a cold start with a bad configuration", () => {
  it("logs one error line with the fix, fails the invocation, and recovers once fixed", async () => {
    const missing = `missing-${randomUUID().slice(0, 8)}`;
    handlerEnv(peers, missing);
    resetRuntime();
    const output = captureOutput();
    let error: unknown;
    try {
      await dispatchHandler(
        sqsEvent({ v: 1, kind: "dispatch", flowRunId: randomUUID(), pool: missing, source: "test" }),
      ).catch((e: unknown) => {
        error = e;
      });
    } finally {
      output.restore();
    }
    // The invocation failed as a whole: Lambda returns every record of the batch to the queue.
    expect(error).toBeInstanceOf(PreflightError);
    expect((error as Error).message).toBe(
      `work pool '${missing}' does not exist: create it with \`prefect work-pool create ${missing} --type ecs\``,
    );
    const lines = output
      .text()
      .split("\n")
      .filter((l) => l.includes("start-up check failed"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`prefect work-pool create ${missing} --type ecs`);

    // Fixed configuration, same instance: the failed check was not cached.
    process.env.PUSHPOOL_POOLS = pool.name;
    const rt = await runtime();
    expect(rt.config.pools).toEqual([pool.name]);
  });
});

describe("pushpool doctor on an ecs pool (moto)", () => {
  const env = () => ({
    ...process.env,
    ...handlerEnv(peers, pool.name),
    PUSHPOOL_ECS_CLUSTER: peers.cluster,
  });

  it("the cluster exists, the task definition registers, the default VPC's subnets resolve", async () => {
    const rows = await doctorRows(env());
    const ecs = rows.filter((r) => r.check.startsWith(`${pool.name}: ECS`));
    expect(ecs.map((r) => [r.check.slice(pool.name.length + 2), r.ok])).toEqual([
      ["ECS job configuration", true],
      ["ECS cluster", true],
      ["ECS task definition", true],
      ["ECS networking", true],
    ]);
    expect(ecs[1]?.detail).toContain(`'${peers.cluster}' exists`);
    for (const subnet of peers.subnets) expect(ecs[3]?.detail).toContain(subnet);
    expect(rows.every((r) => r.ok)).toBe(true);
  });

  it("a cluster that does not exist: the command that creates it", async () => {
    const rows = await doctorRows({ ...env(), PUSHPOOL_ECS_CLUSTER: "pushpool-no-such-cluster" });
    const cluster = rows.find((r) => r.check === `${pool.name}: ECS cluster`);
    expect(cluster?.ok).toBe(false);
    expect(cluster?.detail).toContain("cluster 'pushpool-no-such-cluster' not found");
    expect(cluster?.fix).toContain("aws ecs create-cluster --cluster-name pushpool-no-such-cluster");
  });
});
