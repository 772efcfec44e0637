/**
 * The small adapters on their own: SQS delay rounding, the Function URL and SQS envelopes, and the
 * SqsQueue against moto (message attributes, delayed delivery).
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, SQSRecord } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { ecsTaskStateChange, webhookRequest } from "../../../functions/aws/envelope.ts";
import { SqsQueue, sqsDelaySeconds } from "../../../functions/aws/queue.ts";
import { servesCluster } from "../../../functions/aws/wiring.ts";
import { type AwsPeers, setupAwsPeers } from "./awsPeers.ts";

let peers: AwsPeers;
beforeAll(async () => {
  peers = await setupAwsPeers("adapters");
});

describe("SqsQueue", () => {
  it("rounds delays down and caps them at 900 s", () => {
    expect([undefined, -3, 0, 0.9, 1.7, 899.99, 900, 5000, Number.NaN].map(sqsDelaySeconds)).toEqual([
      0, 0, 0, 0, 1, 899, 900, 900, 0,
    ]);
  });

  it("sends JSON bodies with kind/source attributes and DelaySeconds", async () => {
    const queue = new SqsQueue(peers.dispatch.url, peers.sqs);
    const id = "6f0b5a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
    await queue.send({ v: 1, kind: "dispatch", flowRunId: id, pool: "p", source: "tick" });
    await queue.send(
      { v: 1, kind: "dispatch", flowRunId: id, pool: "p", source: "late" },
      { delaySeconds: 600.5 },
    );
    const out = await peers.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: peers.dispatch.url,
        MessageAttributeNames: ["All"],
        VisibilityTimeout: 60,
      }),
    );
    expect(out.Messages).toHaveLength(1);
    expect(JSON.parse(out.Messages?.[0]?.Body ?? "")).toMatchObject({ flowRunId: id, source: "tick" });
    expect(out.Messages?.[0]?.MessageAttributes?.kind?.StringValue).toBe("dispatch");
    const attrs = await peers.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: peers.dispatch.url,
        AttributeNames: ["ApproximateNumberOfMessagesDelayed"],
      }),
    );
    expect(attrs.Attributes?.ApproximateNumberOfMessagesDelayed).toBe("1");
  });
});

describe("envelopes", () => {
  it("turns a Function URL event into a WebhookRequest: lower-case headers, raw or base64 body", () => {
    const base = {
      rawPath: "/trigger",
      headers: { "Content-Type": "application/json", "X-Pushpool-Key-Id": "ci" },
      requestContext: { http: { method: "POST", path: "/trigger" } },
    };
    const plain = webhookRequest({
      ...base,
      body: "{}",
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2);
    expect(plain).toEqual({
      method: "POST",
      path: "/trigger",
      headers: { "content-type": "application/json", "x-pushpool-key-id": "ci" },
      body: "{}",
    });
    const b64 = webhookRequest({
      ...base,
      body: Buffer.from('{"a":1}').toString("base64"),
      isBase64Encoded: true,
    } as unknown as APIGatewayProxyEventV2);
    expect(Buffer.from(b64.body as Uint8Array).toString()).toBe('{"a":1}');
    expect(() => webhookRequest({ body: "{}" } as unknown as APIGatewayProxyEventV2)).toThrow(/Function URL/);
  });

  it("validates an EventBridge ECS Task State Change carried by an SQS record", () => {
    const detail = {
      taskArn: "arn:aws:ecs:us-east-1:1:task/c/abc",
      clusterArn: "arn:aws:ecs:us-east-1:1:cluster/c",
      lastStatus: "STOPPED",
    };
    const record = (body: unknown) =>
      ({ messageId: "m", body: typeof body === "string" ? body : JSON.stringify(body) }) as SQSRecord;
    const event = { "detail-type": "ECS Task State Change", source: "aws.ecs", detail };
    expect(ecsTaskStateChange(record(event)).detail.taskArn).toBe(detail.taskArn);
    expect(() => ecsTaskStateChange(record("nope"))).toThrow(/not JSON/);
    expect(() => ecsTaskStateChange(record({ ...event, source: "aws.ec2" }))).toThrow(/source/);
    expect(() => ecsTaskStateChange(record({ ...event, detail: { lastStatus: "X" } }))).toThrow(/taskArn/);
  });

  it("matches served clusters by name or ARN; no list serves every cluster", () => {
    const arn = "arn:aws:ecs:us-east-1:1:cluster/prod";
    expect(servesCluster(["prod"], arn)).toBe(true);
    expect(servesCluster([arn], arn)).toBe(true);
    expect(servesCluster(["dev"], arn)).toBe(false);
    expect(servesCluster([], arn)).toBe(true);
  });
});
