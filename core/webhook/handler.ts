/**
 * @module
 * The CI webhook as a pure request handler: every runtime (the local node:http server, a Lambda
 * Function URL, an Azure or GCP HTTP function) turns its request into a {@link WebhookRequest} and
 * sends back the {@link WebhookResponse}.
 *
 * Route: `POST /trigger` only (adapters strip any platform prefix such as Azure's `/api`). Checks, in
 * order, each answered with `{"error": code, "message": …}` and no call to `trigger`: size (413),
 * signature (401), content type (415), JSON (400), body schema (422), deployment allow-list (403),
 * job-variable overrides (403). Logs carry the key id, deployment, status and reason — never the
 * secret, the signature header or the body.
 */

import { type Logger, silentLogger } from "../ports/logger.ts";
import { formatIssues, TriggerMessage } from "../runtime/messages.ts";
import {
  describeError,
  PrefectApiError,
  PushpoolError,
  ValidationError,
  WebhookError,
} from "../shared/errors.ts";
import {
  checkContentType,
  forbiddenJobVariables,
  MAX_BODY_BYTES,
  parseBody,
  WebhookRejection,
} from "./body.ts";
import type { WebhookKey } from "./config.ts";
import {
  KEY_ID_HEADER,
  SIGNATURE_HEADER,
  signatureFingerprint,
  TIMESTAMP_HEADER,
  verify,
} from "./signature.ts";

/** The only route the webhook serves. */
export const WEBHOOK_PATH = "/trigger";
/** A runtime-neutral HTTP request. Header names are lower-case. */
export interface WebhookRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  /** The raw body, exactly as received (the signature covers these bytes). */
  body: Uint8Array | string;
}

/** A runtime-neutral HTTP response with a JSON body. */
export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Creates (or finds, by idempotency key) the flow run and dispatches it. */
export type TriggerFn = (
  message: TriggerMessage,
  ctx: { keyId: string },
) => Promise<{ flowRunId: string; created: boolean }>;

/** What {@link handleWebhook} needs. */
export interface WebhookDeps {
  keys: readonly WebhookKey[];
  now: Date;
  trigger: TriggerFn;
  logger?: Logger;
}

/**
 * Handles one webhook request. Never throws: every outcome is a JSON response. Success is
 * `202 {flowRunId, created}`; `trigger` is called at most once, and only for a request that passed
 * every check.
 */
export async function handleWebhook(request: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const logger = deps.logger ?? silentLogger;
  const log: Record<string, unknown> = {};
  try {
    const { key, message } = authorize(request, deps, log);
    const { flowRunId, created } = await callTrigger(deps.trigger, message, key.id);
    logger.info("webhook triggered a flow run", { ...log, status: 202, flowRunId, created });
    return json(202, { flowRunId, created });
  } catch (error) {
    if (error instanceof WebhookRejection) {
      logger.warn("webhook request rejected", { ...log, status: error.status, reason: error.code });
      const headers: Record<string, string> = error.status === 405 ? { allow: "POST" } : {};
      return json(error.status, { error: error.code, message: error.message }, headers);
    }
    const reason = "upstream_error";
    logger.error("webhook failed", { ...log, status: 502, reason, detail: describeError(error) });
    return json(502, { error: reason, message: "the flow run could not be created; see the webhook's logs" });
  }
}

/** Runs every check; returns the key and the message to trigger, or throws a WebhookRejection. */
function authorize(
  request: WebhookRequest,
  deps: WebhookDeps,
  log: Record<string, unknown>,
): { key: WebhookKey; message: TriggerMessage } {
  const path = request.path.split("?")[0]?.replace(/\/+$/, "") || "/";
  if (path !== WEBHOOK_PATH) {
    throw new WebhookRejection(404, "not_found", `no route ${path.slice(0, 100)}; POST ${WEBHOOK_PATH}`);
  }
  if (request.method.toUpperCase() !== "POST") {
    throw new WebhookRejection(405, "method_not_allowed", `${WEBHOOK_PATH} accepts POST only`);
  }
  const bytes =
    typeof request.body === "string" ? Buffer.byteLength(request.body, "utf8") : request.body.byteLength;
  if (bytes > MAX_BODY_BYTES) {
    throw new WebhookRejection(
      413,
      "payload_too_large",
      `body is ${bytes} bytes; at most ${MAX_BODY_BYTES} are accepted`,
    );
  }

  const { key, fingerprint } = authenticate(request, deps, log);

  checkContentType(header(request, "content-type"));
  const body = parseBody(request.body);
  log.deployment = body.deployment;

  if (key.deployments && !key.deployments.includes(body.deployment)) {
    throw new WebhookRejection(
      403,
      "deployment_not_allowed",
      `key '${key.id}' may not trigger deployment '${body.deployment}'`,
    );
  }
  const forbidden = forbiddenJobVariables(body.jobVariables, key.allowJobVariables);
  if (forbidden.length > 0) {
    const allowed = key.allowJobVariables.length ? key.allowJobVariables.join(", ") : "none";
    throw new WebhookRejection(
      403,
      "job_variables_not_allowed",
      `key '${key.id}' may not override job variables: ${forbidden.join(", ")} (allowed: ${allowed})`,
    );
  }

  const candidate = {
    v: 1,
    kind: "trigger",
    deployment: body.deployment,
    ...(body.parameters ? { parameters: body.parameters } : {}),
    ...(body.jobVariables ? { jobVariables: body.jobVariables } : {}),
    idempotencyKey: body.idempotencyKey ?? `webhook:${key.id}:${fingerprint}`,
    ...(body.scheduledTime ? { scheduledTime: body.scheduledTime } : {}),
    source: `webhook:${key.id}`,
  };
  const parsed = TriggerMessage.safeParse(candidate);
  if (!parsed.success) throw new WebhookRejection(422, "invalid_body", formatIssues(parsed.error));
  return { key, message: parsed.data };
}

/** Finds the key that signed the request; `fingerprint` identifies the signed request (for replays). */
function authenticate(
  request: WebhookRequest,
  deps: WebhookDeps,
  log: Record<string, unknown>,
): { key: WebhookKey; fingerprint: string } {
  const keyId = header(request, KEY_ID_HEADER)?.trim();
  let candidates: readonly WebhookKey[] = deps.keys;
  if (keyId) {
    const key = deps.keys.find((k) => k.id === keyId);
    if (!key) {
      if (/^[\w.-]{1,64}$/.test(keyId)) log.requestedKeyId = keyId;
      throw new WebhookRejection(401, "unknown_key", "X-Pushpool-Key-Id names no configured key");
    }
    candidates = [key];
  }
  const result = verify({
    secrets: candidates.map((k) => k.secret),
    timestamp: header(request, TIMESTAMP_HEADER),
    signature: header(request, SIGNATURE_HEADER),
    body: request.body,
    now: deps.now,
  });
  if (!result.ok) {
    if (keyId) log.keyId = keyId;
    throw new WebhookRejection(401, result.reason, result.message);
  }
  const key = candidates[result.secretIndex] as WebhookKey;
  log.keyId = key.id;
  return { key, fingerprint: signatureFingerprint(result.signature) };
}

const STATUS_CODES: Partial<Record<number, string>> = {
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
};

/** Calls `trigger`, turning the errors that are the caller's fault into rejections. */
async function callTrigger(trigger: TriggerFn, message: TriggerMessage, keyId: string) {
  try {
    return await trigger(message, { keyId });
  } catch (error) {
    throw rejectionFor(error, message.deployment) ?? error;
  }
}

/** The 4xx answer for an error of `trigger`, or undefined when it is not the caller's fault (→ 502). */
function rejectionFor(error: unknown, deployment: string): WebhookRejection | undefined {
  if (error instanceof WebhookRejection) return error;
  // By name as well as by class: each function bundles its own copy of core (see errors.ts).
  const name = PushpoolError.is(error) ? error.name : "";
  const text = error instanceof Error ? error.message : "";
  if (name === "DeploymentNotFoundError") return new WebhookRejection(404, "deployment_not_found", text);
  if (error instanceof WebhookError || name === "WebhookError") {
    const { status } = error as WebhookError;
    return new WebhookRejection(status, STATUS_CODES[status] ?? "invalid_request", text);
  }
  if (error instanceof ValidationError || name === "ValidationError") {
    return new WebhookRejection(422, "invalid_request", text);
  }
  if (error instanceof PrefectApiError || name === "PrefectApiError") {
    const { status, detail } = error as PrefectApiError;
    const missing = `deployment '${deployment}' not found (${detail})`;
    if (status === 404) return new WebhookRejection(404, "deployment_not_found", missing);
    const refused = `Prefect refused the run: ${detail}`;
    if (status === 422) return new WebhookRejection(422, "invalid_parameters", refused);
    if (status === 400) return new WebhookRejection(422, "invalid_request", refused);
    if (status === 409) return new WebhookRejection(409, "conflict", refused);
  }
  return undefined;
}

function header(request: WebhookRequest, name: string): string | undefined {
  const direct = request.headers[name];
  if (direct !== undefined) return direct;
  for (const [k, v] of Object.entries(request.headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function json(status: number, payload: unknown, extra: Record<string, string> = {}): WebhookResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...extra },
    body: JSON.stringify(payload),
  };
}

export { forbiddenJobVariables, MAX_BODY_BYTES, WebhookBody, WebhookRejection } from "./body.ts";
