/**
 * @module
 * What Lambda hands the handlers, unwrapped into what core takes:
 * - an SQS record → its body (a core queue message: `dispatch` or `trigger`);
 * - an SQS record whose body is an EventBridge event (EventBridge rule → SQS target) → a validated
 *   `ECS Task State Change` event;
 * - a Function URL / HTTP API v2 event → a core {@link WebhookRequest}.
 *
 * Malformed input throws a {@link ValidationError} naming the problem (never quoting the body).
 */
import type { APIGatewayProxyEventV2, SQSRecord } from "aws-lambda";
import { z } from "zod";
import { EcsTaskStateDetail } from "../../core/backends/ecs/taskEvents.ts";
import { formatIssues } from "../../core/runtime/messages.ts";
import { ValidationError } from "../../core/shared/errors.ts";
import type { WebhookRequest } from "../../core/webhook/handler.ts";

/** The body of an SQS record (a dispatch or trigger message, parsed by core). */
export function sqsBody(record: SQSRecord): string {
  if (typeof record.body !== "string") throw new ValidationError("SQS record has no body");
  return record.body;
}

/** An EventBridge event as delivered to an SQS target (the whole event is the message body). */
export const EcsTaskStateChangeEvent = z.looseObject({
  version: z.string().optional(),
  id: z.string().optional(),
  "detail-type": z.literal("ECS Task State Change"),
  source: z.literal("aws.ecs"),
  account: z.string().optional(),
  time: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
  /** Validated with the ECS backend's own schema (core/backends/ecs/taskEvents.ts). */
  detail: EcsTaskStateDetail,
});
export type EcsTaskStateChangeEvent = z.infer<typeof EcsTaskStateChangeEvent>;

/** Parses an SQS record carrying an EventBridge `ECS Task State Change` event. */
export function ecsTaskStateChange(record: SQSRecord): EcsTaskStateChangeEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(sqsBody(record));
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(`SQS record body is not JSON: ${(error as Error).message}`);
  }
  const parsed = EcsTaskStateChangeEvent.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(`not an ECS Task State Change event: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Function URL (payload format 2.0) → core WebhookRequest: lower-case headers, raw body bytes. */
export function webhookRequest(event: APIGatewayProxyEventV2): WebhookRequest {
  const method = event.requestContext?.http?.method;
  if (!method) throw new ValidationError("not a Function URL / HTTP API v2 event (no requestContext.http)");
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const text = event.body ?? "";
  const body: Uint8Array | string = event.isBase64Encoded ? Buffer.from(text, "base64") : text;
  const path = event.rawPath || event.requestContext.http.path || "/";
  return { method, path, headers, body };
}
