/**
 * @module
 * The webhook function: HTTP, public; every request is checked by core's signed contract
 * (core/webhook/handler.ts: HMAC over the raw body, allow-lists) exactly as on AWS, then the run is
 * created and its dispatch put on the Cloud Tasks queue. Route `POST /trigger`. Keys from
 * `PUSHPOOL_WEBHOOK_SECRET` / `PUSHPOOL_WEBHOOK_KEYS` (Secret Manager references mounted as
 * environment variables); without one every request is answered 503 and the reason logged.
 */
import type { Request, Response } from "@google-cloud/functions-framework";
import { NOT_CONFIGURED, serveWebhook, webhookKeys } from "../../core/runtime/webhook.ts";
import type { WebhookRequest } from "../../core/webhook/handler.ts";
import { rawBytes, runtimeOr500 } from "./http.ts";
import { type GcpRuntime, runtime } from "./wiring.ts";

export function makeWebhookHandler(getRuntime: () => Promise<GcpRuntime> = runtime) {
  return async (req: Request, res: Response): Promise<void> => {
    const rt = await runtimeOr500(getRuntime, res, "webhook");
    if (!rt) return;
    const keys = webhookKeys(rt);
    const response = keys ? await serveWebhook(webhookRequest(req), keys, rt) : NOT_CONFIGURED;
    res.status(response.status).set(response.headers).send(response.body);
  };
}

/** functions-framework's request → core's: lower-case headers, the raw body bytes. */
export function webhookRequest(req: Request): WebhookRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return { method: req.method, path: req.path || "/", headers, body: rawBytes(req) };
}

export const webhook = makeWebhookHandler();
