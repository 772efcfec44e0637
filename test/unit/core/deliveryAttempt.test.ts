/**
 * Each cloud's dispatch handler tells the core which delivery of a message it handles (SQS
 * `ApproximateReceiveCount`, Cloud Tasks' `X-CloudTasks-TaskRetryCount` + 1, Azure's
 * `dequeueCount`): a redelivery does not claim from the message's snapshot but reads the run
 * (core/runs/runSnapshot.ts), since an earlier delivery may have claimed it and its flow finished.
 */
import type { InvocationContext } from "@azure/functions";
import type { Request, Response } from "@google-cloud/functions-framework";
import type { SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../core/ports/logger.ts";
import { stringifyJson } from "../../../core/prefect/json.ts";
import { snapshotOf } from "../../../core/runs/runSnapshot.ts";
import { makeDispatchHandler as awsHandler } from "../../../functions/aws/dispatch.ts";
import type { AwsRuntime } from "../../../functions/aws/wiring.ts";
import { makeDispatchHandler as azureHandler } from "../../../functions/azure/dispatch.ts";
import type { AzureRuntime } from "../../../functions/azure/wiring.ts";
import { makeDispatchHandler as gcpHandler } from "../../../functions/gcp/dispatch.ts";
import type { GcpRuntime } from "../../../functions/gcp/wiring.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

/** A due Scheduled run, its message with the run's snapshot, and the runtime a handler gets. */
function world() {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool", {});
  const { deps, clock } = makeDeps(api);
  const run = api.addRun(dep, clock.now());
  clock.t += 1_000;
  const body = stringifyJson({
    v: 1,
    kind: "dispatch",
    flowRunId: run.id,
    pool: "pool",
    source: "tick",
    snapshot: snapshotOf(run, clock.now()),
  });
  const logger = { ...silentLogger, withContext() {} };
  const runtime = { deps, logger, maxAttempts: 5 };
  /** True when the dispatch read the run instead of claiming from the snapshot. */
  const readTheRun = () => api.calls.some((c) => c.startsWith("readFlowRun "));
  return { api, body, runtime, readTheRun };
}

type Deliver = (w: ReturnType<typeof world>, attempt: number) => Promise<void>;

const sqs: Deliver = async (w, attempt) => {
  const record = { messageId: "m1", body: w.body, attributes: { ApproximateReceiveCount: String(attempt) } };
  const handler = awsHandler(async () => w.runtime as unknown as AwsRuntime);
  await handler({ Records: [record] } as unknown as SQSEvent);
};

const cloudTasks: Deliver = async (w, attempt) => {
  const headers = {
    "x-cloudtasks-taskname": "t1",
    "x-cloudtasks-taskretrycount": String(attempt - 1),
    "x-cloudtasks-taskexecutioncount": String(attempt - 1),
  };
  const res = { status: () => res, set: () => res, send: () => res };
  const handler = gcpHandler(async () => w.runtime as unknown as GcpRuntime);
  await handler({ headers, rawBody: Buffer.from(w.body) } as unknown as Request, res as never as Response);
};

const storageQueue: Deliver = async (w, attempt) => {
  const handler = azureHandler(async () => w.runtime as unknown as AzureRuntime);
  const context = { triggerMetadata: { dequeueCount: attempt, id: "m1" }, invocationId: "i1" };
  await handler(JSON.parse(w.body), context as unknown as InvocationContext);
};

describe.each([
  ["AWS Lambda (SQS)", sqs],
  ["Cloud Functions (Cloud Tasks)", cloudTasks],
  ["Azure Functions (Storage Queue)", storageQueue],
])("%s dispatch handler", (_, deliver) => {
  it("claims from the snapshot on the first delivery, without reading the run", async () => {
    const w = world();
    await deliver(w, 1);
    expect(w.api.calls.some((c) => c.startsWith("setInfrastructurePid "))).toBe(true);
    expect(w.readTheRun()).toBe(false);
  });

  it("reads the run on a redelivery", async () => {
    const w = world();
    await deliver(w, 2);
    expect(w.api.calls.some((c) => c.startsWith("setInfrastructurePid "))).toBe(true);
    expect(w.readTheRun()).toBe(true);
  });
});
