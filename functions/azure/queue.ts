/**
 * @module
 * The dispatch queue on an Azure Storage Queue. A delay is the message's initial visibility
 * timeout (whole seconds, capped at Azure's largest: 7 days); messages never expire (TTL -1), so
 * the longest delay is always below the time to live, as Azure requires. Bodies are base64 text,
 * the Functions host's default queue-trigger encoding (host.json `messageEncoding: base64`).
 * An early delivery is re-queued by core dispatch itself (`notBefore`).
 *
 * Errors come back in core's classes: throttling, 5xx and network failures are transient; a
 * missing queue, a refused identity or a rejected message are configuration/validation errors.
 */
import type { QueueClient } from "@azure/storage-queue";
import type { Queue } from "../../core/ports/queue.ts";
import { stringifyJson } from "../../core/prefect/json.ts";
import type { QueueMessage } from "../../core/runtime/messages.ts";
import { ConfigError, TransientError, ValidationError } from "../../core/shared/errors.ts";

/** Azure's largest visibility timeout: 7 days. */
export const MAX_STORAGE_QUEUE_DELAY_SECONDS = 7 * 24 * 3600;
/** A message that never expires (the default TTL is 7 days, and a delay must be below the TTL). */
const NEVER_EXPIRES = -1;
/** Seconds before a throttled or failed send is worth retrying. */
const RETRY_SECONDS = 5;

/** The visibility timeout a (possibly fractional, negative or huge) delay becomes. */
export function visibilitySeconds(delaySeconds: number | undefined): number {
  if (delaySeconds === undefined || !Number.isFinite(delaySeconds) || delaySeconds <= 0) return 0;
  return Math.min(MAX_STORAGE_QUEUE_DELAY_SECONDS, Math.floor(delaySeconds));
}

/** A queue message's text as the Functions host decodes it (base64 of the UTF-8 JSON). */
export function encodeBody(message: QueueMessage): string {
  return Buffer.from(stringifyJson(message), "utf8").toString("base64");
}

/** The UTF-8 text of a base64 queue message body. */
export function decodeBody(text: string): string {
  return Buffer.from(text, "base64").toString("utf8");
}

export class StorageQueue implements Queue {
  readonly maxDelaySeconds = MAX_STORAGE_QUEUE_DELAY_SECONDS;
  constructor(readonly client: QueueClient) {}

  async send(message: QueueMessage, options?: { delaySeconds?: number }): Promise<void> {
    try {
      await this.client.sendMessage(encodeBody(message), {
        visibilityTimeout: visibilitySeconds(options?.delaySeconds),
        messageTimeToLive: NEVER_EXPIRES,
      });
    } catch (error) {
      throw classifyStorageError(error, `Failed to send to the storage queue '${this.client.name}'`);
    }
  }
}

/** An error of a Storage Queue call → core's class, with Azure's code and message. */
export function classifyStorageError(error: unknown, what: string): Error {
  const rest = error as { statusCode?: unknown; code?: unknown } | undefined;
  const status = typeof rest?.statusCode === "number" ? rest.statusCode : undefined;
  const code = typeof rest?.code === "string" ? rest.code : undefined;
  const detail = `${what}: ${code ? `${code} ` : ""}${status ? `(${status}) ` : ""}${firstLine(error)}`;
  if (status === undefined || status === 408 || status === 429 || status >= 500)
    return new TransientError(detail, RETRY_SECONDS, { cause: error });
  if (status === 404)
    return new ConfigError(`${detail}. Create the queue, or set PUSHPOOL_QUEUE_NAME to an existing one.`, {
      cause: error,
    });
  if (status === 401 || status === 403)
    return new ConfigError(
      `${detail}. Grant the Function App's identity 'Storage Queue Data Message Sender' and 'Processor' on the account.`,
      { cause: error },
    );
  return new ValidationError(detail, { cause: error });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? "";
}
