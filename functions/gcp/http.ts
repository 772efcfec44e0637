/**
 * @module
 * What the HTTP handlers share: the raw body of a functions-framework request (exactly the bytes
 * sent: the framework's body parsers keep them in `rawBody`), JSON replies, and the runtime of the
 * instance awaited with a clear 500 when it cannot be built (Cloud Tasks and Cloud Scheduler retry
 * a 5xx; the reason goes to the logs, never to the caller).
 */
import type { Request, Response } from "@google-cloud/functions-framework";
import type { Logger } from "../../core/ports/logger.ts";
import { secretSettingValues } from "../../core/runtime/secretEnv.ts";
import { describeError } from "../../core/shared/errors.ts";
import { functionLogger } from "./logger.ts";

/** The request body as text (empty when there is none). */
export function rawText(req: Request): string {
  if (req.rawBody) return req.rawBody.toString("utf8");
  if (typeof req.body === "string") return req.body;
  if (Buffer.isBuffer(req.body)) return req.body.toString("utf8");
  return "";
}

/** The raw body bytes (the webhook's signature covers them). */
export function rawBytes(req: Request): Uint8Array | string {
  if (req.rawBody) return req.rawBody;
  if (typeof req.body === "string" || Buffer.isBuffer(req.body)) return req.body;
  return "";
}

/** One header's value (the first, when repeated). */
export function header(req: Request, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function reply(res: Response, status: number, payload: unknown): void {
  res
    .status(status)
    .set({ "content-type": "application/json; charset=utf-8", "cache-control": "no-store" })
    .send(JSON.stringify(payload));
}

/** The runtime, or null after a 500 answered and the reason logged. */
export async function runtimeOr500<R>(
  getRuntime: () => Promise<R>,
  res: Response,
  what: string,
): Promise<R | null> {
  try {
    return await getRuntime();
  } catch (error) {
    fallbackLogger().error(`${what}: the runtime could not start; the request will be retried`, {
      error: describeError(error),
    });
    reply(res, 500, { error: "not_ready", message: "the function could not start; see its logs" });
    return null;
  }
}

let fallback: Logger | undefined;
function fallbackLogger(): Logger {
  fallback ??= functionLogger(secretSettingValues(process.env));
  return fallback;
}
