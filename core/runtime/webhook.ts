/**
 * @module
 * The signed webhook as every cloud runtime serves it: the keys parsed once per function instance
 * from its environment (core/webhook/config.ts), each request handled by core/webhook/handler.ts
 * with the runtime's own trigger. The runtimes keep only their HTTP envelopes.
 */
import type { Logger } from "../ports/logger.ts";
import { trigger } from "../runs/trigger.ts";
import { describeError } from "../shared/errors.ts";
import { parseWebhookConfig, type WebhookKey } from "../webhook/config.ts";
import { handleWebhook, type WebhookRequest, type WebhookResponse } from "../webhook/handler.ts";
import type { Deps } from "./deps.ts";

export interface WebhookRuntime {
  /** The environment with secrets resolved. */
  env: Record<string, string | undefined>;
  deps: Deps;
  logger: Logger;
}

/** The answer while no key is configured: every request is refused, the reason logged. */
export const NOT_CONFIGURED: WebhookResponse = {
  status: 503,
  headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  body: JSON.stringify({ error: "not_configured", message: "the webhook has no key configured" }),
};

const keysOf = new WeakMap<WebhookRuntime, WebhookKey[]>();

/** The runtime's webhook keys, parsed once; null (and an error line) when none is configured. */
export function webhookKeys(rt: WebhookRuntime): WebhookKey[] | null {
  let keys = keysOf.get(rt);
  if (!keys) {
    try {
      keys = parseWebhookConfig(rt.env);
    } catch (error) {
      rt.logger.error("webhook is not configured", { error: describeError(error) });
      return null;
    }
    keysOf.set(rt, keys);
  }
  return keys;
}

/** One webhook request, with the runtime's keys and trigger. Never throws. */
export async function serveWebhook(
  request: WebhookRequest,
  keys: readonly WebhookKey[],
  rt: WebhookRuntime,
): Promise<WebhookResponse> {
  return await handleWebhook(request, {
    keys,
    now: rt.deps.clock.now(),
    logger: rt.logger,
    trigger: (message) => trigger(message, rt.deps),
  });
}
