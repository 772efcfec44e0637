/**
 * Fuzzing the AWS envelopes (functions/aws/envelope.ts): SQS records carrying arbitrary bodies,
 * EventBridge `ECS Task State Change` events, and Function URL events into the webhook. Malformed
 * input is a ValidationError with a precise reason, never another exception; well-formed input
 * unwraps faithfully.
 */
import type { APIGatewayProxyEventV2, SQSRecord } from "aws-lambda";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../core/shared/errors.ts";
import { handleWebhook } from "../../../core/webhook/handler.ts";
import { ecsTaskStateChange, sqsBody, webhookRequest } from "../../../functions/aws/envelope.ts";
import { fcParams } from "../../fuzz/fuzzConfig.ts";

const record = (body: unknown) => ({ messageId: "m", body }) as unknown as SQSRecord;
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("utf8")),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200, unit: "binary" }),
);
const arn = fc.string({ maxLength: 30 }).map((s) => `arn:aws:ecs:eu-west-1:1:task/${s}`);
const ecsEvent = fc.record({
  "detail-type": fc.constant("ECS Task State Change"),
  source: fc.constant("aws.ecs"),
  detail: fc.record(
    {
      taskArn: arn,
      clusterArn: arn,
      lastStatus: fc.constantFrom("STOPPED", "RUNNING", "PROVISIONING"),
      stopCode: fc.constantFrom("TaskFailedToStart", "EssentialContainerExited"),
      containers: fc.array(
        fc.record({
          name: fc.string(),
          exitCode: fc.option(fc.integer(), { nil: null }),
          reason: fc.option(fc.string(), { nil: null }),
        }),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: ["taskArn", "clusterArn", "lastStatus"] },
  ),
});

function outcome(fn: () => unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: fn() };
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return { error: (error as Error).message };
  }
}

describe("AWS envelope fuzzing", () => {
  it("an SQS record's body is passed through untouched; a record without a string body is rejected", () => {
    fc.assert(
      fc.property(fc.oneof(bodies, fc.jsonValue({ maxDepth: 1 })), (body) => {
        const got = outcome(() => sqsBody(record(body)));
        if (typeof body === "string") expect(got).toEqual({ ok: body });
        else expect(got).toEqual({ error: "SQS record has no body" });
      }),
      fcParams(300, 21),
    );
  });

  it("arbitrary SQS bodies are not ECS events: rejected with a precise reason", () => {
    fc.assert(
      fc.property(bodies, (body) => {
        const got = outcome(() => ecsTaskStateChange(record(body)));
        expect(got).toEqual({
          error: expect.stringMatching(
            /^(SQS record body is not JSON: |not an ECS Task State Change event: \S)/,
          ),
        });
      }),
      fcParams(300, 22),
    );
  });

  it("ECS events unwrap as sent; with one required field broken they are rejected, naming it", () => {
    const required = fc.constantFrom(
      "detail-type",
      "source",
      "detail",
      "detail.taskArn",
      "detail.clusterArn",
      "detail.lastStatus",
    );
    fc.assert(
      fc.property(
        ecsEvent,
        required,
        fc.constantFrom<unknown>(undefined, 5, "", null, []),
        (event, field, bad) => {
          expect(ecsTaskStateChange(record(JSON.stringify(event)))).toEqual(event);
          const broken = structuredClone(event) as unknown as Record<string, Record<string, unknown>>;
          const [a, b] = field.split(".") as [string, string | undefined];
          if (b === undefined) (broken as Record<string, unknown>)[a] = bad;
          else (broken[a] as Record<string, unknown>)[b] = bad;
          const got = outcome(() => ecsTaskStateChange(record(JSON.stringify(broken))));
          expect(got).toEqual({ error: expect.stringContaining(`${field}: `) });
        },
      ),
      fcParams(200, 23),
    );
  });

  it("Function URL events become webhook requests (lower-case headers, decoded body), and unsigned ones are refused", async () => {
    const headerName = fc.stringMatching(/^[A-Za-z-]{1,20}$/);
    const event = fc.record({
      rawPath: fc.oneof(fc.constant("/trigger"), fc.string({ maxLength: 20 })),
      headers: fc.dictionary(headerName, fc.string({ maxLength: 40 }), { maxKeys: 5 }),
      body: fc.option(fc.string({ maxLength: 200, unit: "binary" }), { nil: undefined }),
      isBase64Encoded: fc.boolean(),
      method: fc.constantFrom("POST", "GET", "PUT"),
    });
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const lambdaEvent = {
          rawPath: e.rawPath,
          headers: e.headers,
          body:
            e.isBase64Encoded && e.body !== undefined
              ? Buffer.from(e.body, "utf8").toString("base64")
              : e.body,
          isBase64Encoded: e.isBase64Encoded,
          requestContext: { http: { method: e.method, path: e.rawPath } },
        } as unknown as APIGatewayProxyEventV2;
        const req = webhookRequest(lambdaEvent);
        for (const name of Object.keys(req.headers)) expect(name).toBe(name.toLowerCase());
        expect(Buffer.from(req.body).toString("utf8")).toBe(
          Buffer.from(e.body ?? "", "utf8").toString("utf8"),
        );
        const calls: unknown[] = [];
        const res = await handleWebhook(req, {
          keys: [
            { id: "ci", secret: "fuzz-secret-0123456789", deployments: undefined, allowJobVariables: [] },
          ],
          now: new Date(),
          trigger: async (m) => {
            calls.push(m);
            return { flowRunId: "x", created: true };
          },
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(calls).toEqual([]);
      }),
      fcParams(200, 24),
    );
    expect(outcome(() => webhookRequest({} as APIGatewayProxyEventV2))).toEqual({
      error: expect.stringMatching(/requestContext\.http/),
    });
  });
});
