/** Shared fakes for the webhook tests: signed requests, a recording `trigger`, a capturing logger. */
import { expect } from "vitest";
import type { LogFields, Logger } from "../../core/ports/logger.ts";
import type { TriggerMessage } from "../../core/runtime/messages.ts";
import type { WebhookKey } from "../../core/webhook/config.ts";
import { handleWebhook, type WebhookRequest, type WebhookResponse } from "../../core/webhook/handler.ts";
import { sign } from "../../core/webhook/signature.ts";

export const CI_SECRET = "ci-secret-0123456789abcdef";
export const CRON_SECRET = "cron-secret-0123456789abcd";
export const OLD_SECRET = "old-ci-secret-0123456789";
export const PARAM_SECRET = "hunter2-parameter-value";
export const DEPLOYMENT_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
export const NOW = new Date("2026-08-01T12:00:00Z");
export const TS = Math.floor(NOW.getTime() / 1000);

export const KEYS: WebhookKey[] = [
  {
    id: "ci",
    secret: CI_SECRET,
    deployments: ["etl/daily", DEPLOYMENT_ID],
    allowJobVariables: ["image", "env"],
  },
  { id: "cron", secret: CRON_SECRET, allowJobVariables: [] },
];

export interface Options {
  secret?: string | string[];
  keyId?: string;
  ts?: number;
  contentType?: string;
  headers?: Record<string, string | undefined>;
}

/** A request signed like the CLI would sign it; `body` objects are serialised first. */
export function request(body: unknown, o: Options = {}): WebhookRequest {
  const raw = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  const ts = o.ts ?? TS;
  const secrets = typeof o.secret === "string" ? [o.secret] : (o.secret ?? [CI_SECRET]);
  return {
    method: "POST",
    path: "/trigger",
    headers: {
      "content-type": o.contentType ?? "application/json",
      "x-pushpool-timestamp": String(ts),
      "x-pushpool-signature": secrets.map((s) => `v1=${sign(s, ts, raw)}`).join(","),
      ...(o.keyId ? { "x-pushpool-key-id": o.keyId } : {}),
      ...o.headers,
    },
    body: raw,
  };
}

export interface Call {
  message: TriggerMessage;
  keyId: string;
}

/** A fake trigger recording its calls; like Prefect, a repeated idempotency key finds the same run. */
export function harness(fail?: unknown) {
  const calls: Call[] = [];
  const runs = new Map<string, string>();
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: LogFields) =>
    lines.push(JSON.stringify({ level, message, ...fields }));
  const logger: Logger = {
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
  };
  const deps = {
    keys: KEYS,
    now: NOW,
    logger,
    trigger: async (message: TriggerMessage, ctx: { keyId: string }) => {
      calls.push({ message, keyId: ctx.keyId });
      if (fail !== undefined) throw fail;
      const existing = runs.get(message.idempotencyKey);
      if (existing) return { flowRunId: existing, created: false };
      const flowRunId = `run-${runs.size + 1}`;
      runs.set(message.idempotencyKey, flowRunId);
      return { flowRunId, created: true };
    },
  };
  const send = (req: WebhookRequest) => handleWebhook(req, deps);
  return { calls, lines, send };
}

export function payload(
  response: WebhookResponse,
): { error?: string; message?: string } & Record<string, unknown> {
  expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
  return JSON.parse(response.body);
}

/** Sends `req`, expects a rejection with `status` and `code`, and no trigger call; returns the message. */
export async function rejected(req: WebhookRequest, status: number, code: string): Promise<string> {
  const h = harness();
  const response = await h.send(req);
  const body = payload(response);
  expect({ status: response.status, error: body.error }).toEqual({ status, error: code });
  expect(h.calls).toHaveLength(0);
  expect(h.lines.some((l) => l.includes(`"reason":"${code}"`) && l.includes(`"status":${status}`))).toBe(
    true,
  );
  return body.message ?? "";
}
