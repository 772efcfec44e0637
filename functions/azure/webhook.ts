/**
 * @module
 * The HTTP trigger `POST /api/trigger` (anonymous at the host: every request is checked against the
 * HMAC keys, the same signed contract as functions/aws/webhook.ts) → core handleWebhook → create
 * the flow run and enqueue its dispatch on the Storage Queue. Keys come from
 * `PUSHPOOL_WEBHOOK_SECRET` / `PUSHPOOL_WEBHOOK_KEYS` (Key Vault references); without one every
 * request is answered 503 and the reason logged.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { NOT_CONFIGURED, serveWebhook, webhookKeys } from "../../core/runtime/webhook.ts";
import type { WebhookRequest } from "../../core/webhook/handler.ts";
import { type AzureRuntime, runtime } from "./wiring.ts";

/** The host's route prefix (host.json `extensions.http.routePrefix`, default `api`). */
export const ROUTE_PREFIX = "/api";

/** An HttpRequest → core WebhookRequest: lower-case headers, the raw body bytes, the route's path. */
export async function webhookRequest(request: HttpRequest): Promise<WebhookRequest> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  const pathname = new URL(request.url).pathname;
  const path = pathname.startsWith(`${ROUTE_PREFIX}/`) ? pathname.slice(ROUTE_PREFIX.length) : pathname;
  const body = new Uint8Array(await request.arrayBuffer());
  return { method: request.method, path, headers, body };
}

export function makeWebhookHandler(getRuntime: () => Promise<AzureRuntime> = runtime) {
  return async (request: HttpRequest, _context?: InvocationContext): Promise<HttpResponseInit> => {
    const rt = await getRuntime();
    const keys = webhookKeys(rt);
    const response = keys ? await serveWebhook(await webhookRequest(request), keys, rt) : NOT_CONFIGURED;
    return { status: response.status, headers: response.headers, body: response.body };
  };
}

export const handler = makeWebhookHandler();
