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
import { trigger } from "../../core/runs/trigger.ts";
import { describeError } from "../../core/shared/errors.ts";
import { parseWebhookConfig, type WebhookKey } from "../../core/webhook/config.ts";
import { handleWebhook } from "../../core/webhook/handler.ts";
import { webhookRequest } from "./envelope.ts";
import { type AwsRuntime, runtime } from "./wiring.ts";

const keysOf = new WeakMap<AwsRuntime, WebhookKey[]>();

export function makeWebhookHandler(getRuntime: () => Promise<AwsRuntime> = runtime) {
  return async (
    event: APIGatewayProxyEventV2,
    context?: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const rt = await getRuntime();
    rt.logger.withContext(context);
    const { deps, logger } = rt;
    let keys = keysOf.get(rt);
    if (!keys) {
      try {
        keys = parseWebhookConfig(rt.env);
        keysOf.set(rt, keys);
      } catch (error) {
        logger.error("webhook is not configured", { error: describeError(error) });
        return result(503, { error: "not_configured", message: "the webhook has no key configured" });
      }
    }
    let request: ReturnType<typeof webhookRequest>;
    try {
      request = webhookRequest(event);
    } catch (error) {
      logger.warn("webhook event rejected", { reason: describeError(error) });
      return result(400, { error: "bad_request", message: "not a Function URL request" });
    }
    const response = await handleWebhook(request, {
      keys,
      now: deps.clock.now(),
      logger,
      trigger: (message) => trigger(message, deps),
    });
    return { statusCode: response.status, headers: response.headers, body: response.body };
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
