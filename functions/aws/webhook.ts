/**
 * @module
 * Lambda handler for the signed CI webhook behind a Function URL (or an HTTP API, payload 2.0):
 * `POST /trigger` → core handleWebhook (HMAC check, allow-lists) → create the flow run and enqueue
 * its dispatch on SQS. Keys come from `PUSHPOOL_WEBHOOK_SECRET` / `PUSHPOOL_WEBHOOK_KEYS` or their
 * `PUSHPOOL_WEBHOOK_KEYS_SECRET_ARN` / `_SSM_PARAMETER` reference (./secrets.ts); without one every
 * request is answered 503 and the reason logged.
 *
 * Export: `handler` (functions/aws/webhook.handler).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { NOT_CONFIGURED, serveWebhook, webhookKeys } from "../../core/runtime/webhook.ts";
import { describeError } from "../../core/shared/errors.ts";
import type { WebhookResponse } from "../../core/webhook/handler.ts";
import { webhookRequest } from "./envelope.ts";
import { type AwsRuntime, runtime } from "./wiring.ts";

export function makeWebhookHandler(getRuntime: () => Promise<AwsRuntime> = runtime) {
  return async (
    event: APIGatewayProxyEventV2,
    context?: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const rt = await getRuntime();
    rt.logger.withContext(context);
    const { logger } = rt;
    const keys = webhookKeys(rt);
    if (!keys) return lambdaResult(NOT_CONFIGURED);
    let request: ReturnType<typeof webhookRequest>;
    try {
      request = webhookRequest(event);
    } catch (error) {
      logger.warn("webhook event rejected", { reason: describeError(error) });
      return result(400, { error: "bad_request", message: "not a Function URL request" });
    }
    const response = await serveWebhook(request, keys, rt);
    return lambdaResult(response);
  };
}

function result(status: number, payload: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    body: JSON.stringify(payload),
  };
}

export const handler = makeWebhookHandler();

function lambdaResult(response: WebhookResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: response.status, headers: response.headers, body: response.body };
}
