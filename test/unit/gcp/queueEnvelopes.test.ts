/**
 * The GCP queue adapters' pure parts: tasksEnvelope (a Cloud Tasks HTTP delivery), pubsubEnvelope
 * (a push request and an Eventarc `messagePublished` CloudEvent, in the shapes Google documents),
 * the delay a task gets, and the classification of Google errors (gRPC codes and REST answers).
 * Bad input of each kind is a ValidationError naming the problem, never a crash.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, TransientError, ValidationError } from "../../../core/shared/errors.ts";
import { PubSubTopic, pubsubEnvelope } from "../../../functions/gcp/pubsubQueue.ts";
import { classifyQueueError } from "../../../functions/gcp/queueErrors.ts";
import { MAX_TASKS_DELAY_SECONDS, tasksDelayMs, tasksEnvelope } from "../../../functions/gcp/tasksQueue.ts";

const headers = {
  "x-cloudtasks-taskname": "0123456789",
  "x-cloudtasks-queuename": "dispatch",
  "x-cloudtasks-taskretrycount": "2",
  "x-cloudtasks-taskexecutioncount": "1",
};

describe("tasksEnvelope", () => {
  it("reads the body and the counts; attempt = retry count + 1", () => {
    const d = tasksEnvelope({ headers, rawBody: Buffer.from('{"a":1}') });
    expect(d).toEqual({
      body: '{"a":1}',
      taskName: "0123456789",
      queueName: "dispatch",
      retryCount: 2,
      executionCount: 1,
      attempt: 3,
    });
  });

  it("takes headers in any case and a body Express parsed or left as text", () => {
    const mixed = {
      "X-CloudTasks-TaskName": "t",
      "X-CloudTasks-TaskRetryCount": "0",
      "X-CloudTasks-TaskExecutionCount": "0",
    };
    expect(tasksEnvelope({ headers: mixed, body: "{}x" }).body).toBe("{}x");
    expect(JSON.parse(tasksEnvelope({ headers: mixed, body: { kind: "dispatch" } }).body)).toEqual({
      kind: "dispatch",
    });
    expect(tasksEnvelope({ headers: mixed, body: Buffer.from("b") }).attempt).toBe(1);
  });

  it.each([
    ["no task name", { ...headers, "x-cloudtasks-taskname": undefined }, /X-CloudTasks-TaskName/],
    ["no retry count", { ...headers, "x-cloudtasks-taskretrycount": undefined }, /TaskRetryCount/],
    ["a count that is not one", { ...headers, "x-cloudtasks-taskexecutioncount": "-1" }, /not a count/],
    ["an enormous count", { ...headers, "x-cloudtasks-taskretrycount": "1e99" }, /not a count/],
  ])("refuses %s", (_, h, message) => {
    expect(() => tasksEnvelope({ headers: h, rawBody: Buffer.from("{}") })).toThrow(ValidationError);
    expect(() => tasksEnvelope({ headers: h, rawBody: Buffer.from("{}") })).toThrow(message);
  });

  it("refuses an empty body", () => {
    expect(() => tasksEnvelope({ headers, rawBody: Buffer.alloc(0) })).toThrow(/empty body/);
    expect(() => tasksEnvelope({ headers, body: {} })).toThrow(ValidationError);
  });
});

describe("tasksDelayMs", () => {
  it("keeps fractions, treats nothing/negative/NaN as none, caps at 30 days", () => {
    expect(tasksDelayMs(undefined)).toBe(0);
    expect(tasksDelayMs(-3)).toBe(0);
    expect(tasksDelayMs(Number.NaN)).toBe(0);
    expect(tasksDelayMs(1.2345)).toBe(1234);
    expect(tasksDelayMs(Number.POSITIVE_INFINITY)).toBe(MAX_TASKS_DELAY_SECONDS * 1000);
    expect(tasksDelayMs(MAX_TASKS_DELAY_SECONDS + 1)).toBe(MAX_TASKS_DELAY_SECONDS * 1000);
  });
});

/** A push request as Pub/Sub sends it to a subscription with a dead-letter policy. */
const push = {
  message: {
    data: Buffer.from('{"kind":"dispatch"}').toString("base64"),
    attributes: { kind: "dispatch" },
    messageId: "2070443601311540",
    message_id: "2070443601311540",
    publishTime: "2026-12-07T02:00:00.000Z",
    publish_time: "2026-12-07T02:00:00.000Z",
  },
  subscription: "projects/p/subscriptions/s",
  deliveryAttempt: 3,
};

describe("pubsubEnvelope", () => {
  const expected = {
    body: '{"kind":"dispatch"}',
    attributes: { kind: "dispatch" },
    messageId: "2070443601311540",
    publishTime: "2026-12-07T02:00:00.000Z",
    subscription: "projects/p/subscriptions/s",
    deliveryAttempt: 3,
  };

  it("decodes a push request and the same as an Eventarc CloudEvent's data (object or JSON text)", () => {
    expect(pubsubEnvelope(push)).toEqual(expected);
    const event = {
      specversion: "1.0",
      type: "google.cloud.pubsub.topic.v1.messagePublished",
      id: "1",
      data: push,
    };
    expect(pubsubEnvelope(event)).toEqual(expected);
    expect(pubsubEnvelope({ ...event, data: JSON.stringify(push) })).toEqual(expected);
  });

  it("leaves deliveryAttempt out when Pub/Sub does (no dead-letter policy), and takes snake_case ids", () => {
    const bare = { message: { data: "", message_id: "9" } };
    expect(pubsubEnvelope(bare)).toEqual({ body: "", attributes: {}, messageId: "9" });
  });

  it.each([
    ["not an object", "x", /not an object/],
    ["no message", { data: { subscription: "s" } }, /not a Pub\/Sub push message/],
    ["data that is not base64", { message: { data: "%%%", messageId: "1" } }, /not base64/],
    ["no message id", { message: { data: "" } }, /no messageId/],
    ["a zero delivery attempt", { ...push, deliveryAttempt: 0 }, /deliveryAttempt/],
    ["CloudEvent data that is not JSON", { data: "{" }, /not JSON/],
  ])("refuses %s with a ValidationError", (_, input, message) => {
    expect(() => pubsubEnvelope(input)).toThrow(ValidationError);
    expect(() => pubsubEnvelope(input)).toThrow(message);
  });
});

describe("classifyQueueError", () => {
  it.each([
    [{ code: 14, message: "14 UNAVAILABLE: no connection" }, TransientError],
    [{ code: 4, message: "deadline" }, TransientError],
    [{ code: 8, message: "quota" }, TransientError],
    [{ code: 13, message: "internal" }, TransientError],
    [{ code: "ECONNRESET", message: "socket hang up" }, TransientError],
    [{ status: 503, message: "Service Unavailable" }, TransientError],
    [{ code: 3, message: "bad task" }, ValidationError],
    [{ code: 5, message: "queue not found" }, ConfigError],
    [{ code: 7, message: "denied" }, ConfigError],
    [{ status: 403, message: '{"error":{"message":"denied","status":"PERMISSION_DENIED"}}' }, ConfigError],
  ])("%o → %o", (error, kind) => {
    const classified = classifyQueueError(error, "doing");
    expect(classified).toBeInstanceOf(kind);
    expect(classified.message.startsWith("doing: ")).toBe(true);
    expect(classified.cause).toBe(error);
  });

  it("PubSubTopic publishes the message with kind and source attributes and classifies a failure", async () => {
    const sent: { data: Buffer; attributes?: Record<string, string> }[] = [];
    const topic = new PubSubTopic({
      topic: {
        name: "projects/p/topics/t",
        async publishMessage(m) {
          sent.push(m);
          if (sent.length > 1) throw Object.assign(new Error("8 RESOURCE_EXHAUSTED: slow down"), { code: 8 });
          return "1";
        },
      },
    });
    const message = {
      v: 1 as const,
      kind: "dispatch" as const,
      flowRunId: "7d4a4f3e-5b7e-4c36-9f55-0b1f0b2c6a11",
      pool: "p",
      source: "s",
    };
    await topic.send(message, { delaySeconds: 60 });
    expect(topic.maxDelaySeconds).toBe(0);
    expect(JSON.parse(sent[0]?.data.toString("utf8") ?? "")).toEqual(message);
    expect(sent[0]?.attributes).toEqual({ kind: "dispatch", source: "s" });
    const error = await topic.send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain("projects/p/topics/t");
  });
});
