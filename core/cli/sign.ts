/**
 * @module
 * Builds the signed HTTP request that `pushpool trigger` (or any CI script) sends to the webhook.
 */

import { stringifyJson } from "../prefect/json.ts";
import { formatIssues } from "../runtime/messages.ts";
import { ValidationError } from "../shared/errors.ts";
import { MAX_BODY_BYTES, WEBHOOK_PATH, WebhookBody } from "../webhook/handler.ts";
import {
  KEY_ID_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
  TIMESTAMP_HEADER,
  unixSeconds,
} from "../webhook/signature.ts";

/** Input of {@link buildSignedRequest}. */
export interface SignRequestInput {
  /** The webhook's URL. When its path does not end in `/trigger`, `/trigger` is appended. */
  url: string;
  secret: string;
  /** The key id (`X-Pushpool-Key-Id`), for `PUSHPOOL_WEBHOOK_KEYS`; omit for a single secret. */
  keyId?: string;
  /** The trigger body: `{deployment, parameters?, jobVariables?, idempotencyKey?, scheduledTime?}`. */
  body: object;
  now: Date;
}

/** A ready-to-send request; `body` is the exact string that was signed. */
export interface SignedRequest {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
}

/**
 * Serialises `body`, checks it against the webhook's schema and size limit (so mistakes fail
 * locally, with the same messages), and signs it. Throws a {@link ValidationError} otherwise.
 *
 * @example
 * const req = buildSignedRequest({ url, secret, body: { deployment: "etl/daily" }, now: new Date() });
 * await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
 */
export function buildSignedRequest(input: SignRequestInput): SignedRequest {
  const parsed = WebhookBody.safeParse(input.body);
  if (!parsed.success) throw new ValidationError(`invalid trigger body: ${formatIssues(parsed.error)}`);
  const body = stringifyJson(input.body);
  const size = Buffer.byteLength(body, "utf8");
  if (size > MAX_BODY_BYTES) {
    throw new ValidationError(`trigger body is ${size} bytes; the webhook accepts at most ${MAX_BODY_BYTES}`);
  }
  const timestamp = String(unixSeconds(input.now));
  const headers: Record<string, string> = {
    "content-type": "application/json",
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: signatureHeader(input.secret, timestamp, body),
  };
  if (input.keyId) headers[KEY_ID_HEADER] = input.keyId;
  return { url: triggerUrl(input.url), method: "POST", headers, body };
}

/** `https://host/x` → `https://host/x/trigger`; a URL already ending in `/trigger` (or `/trigger/`) is kept. */
function triggerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError("webhook URL is not a valid absolute URL (e.g. https://host/trigger)");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ValidationError(`webhook URL must be http(s), got '${url.protocol}'`);
  }
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = path.endsWith(WEBHOOK_PATH) ? path : `${path}${WEBHOOK_PATH}`;
  return url.toString();
}
