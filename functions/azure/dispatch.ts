/**
 * @module
 * The Storage Queue trigger on `PUSHPOOL_QUEUE_NAME`: each message is a core queue message
 * (`dispatch` from the tick, the webhook or a re-queue; `trigger` from a cron). A permanent failure
 * (bad JSON, invalid message, a run that can never start) is logged with its reason and returns,
 * so the host deletes the message; a transient one (Prefect/Azure throttling, 5xx, timeouts) is
 * thrown, so the host makes it visible again and, after host.json's `maxDequeueCount`, moves it to
 * `<queue>-poison` (./poison.ts logs and clears it).
 */
import type { InvocationContext } from "@azure/functions";
import { consumeRecord } from "../../core/runtime/consume.ts";
import { handleMessage } from "../../core/runtime/handleMessage.ts";
import { ValidationError } from "../../core/shared/errors.ts";
import { MAX_DEQUEUE_COUNT } from "./hostSettings.ts";
import { type AzureRuntime, runtime } from "./wiring.ts";

/**
 * The message's text. The trigger asks for bytes (`dataType: "binary"`, ./index.ts), read as UTF-8;
 * a string is taken as is, and an object (what @azure/functions makes of a JSON string) is
 * serialised back.
 */
export function queueBody(entry: unknown): string {
  if (typeof entry === "string") return entry;
  if (entry instanceof Uint8Array) return Buffer.from(entry).toString("utf8");
  if (entry !== null && typeof entry === "object") return JSON.stringify(entry);
  throw new ValidationError(
    `queue message is not text or JSON (got ${entry === null ? "null" : typeof entry})`,
  );
}

export function makeDispatchHandler(getRuntime: () => Promise<AzureRuntime> = runtime) {
  return async (entry: unknown, context: InvocationContext): Promise<void> => {
    const { logger, deps } = await getRuntime();
    const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
    const ids = { messageId: context.triggerMetadata?.id, dequeueCount, invocationId: context.invocationId };
    try {
      const consumed = await consumeRecord("dispatch message", ids, logger, () =>
        handleMessage(queueBody(entry), deps, { attempt: dequeueCount }),
      );
      if (!consumed.handled) return;
      const outcome = consumed.result;
      if (outcome.kind === "rejected")
        logger.error("dispatch message dropped", { ...ids, reason: outcome.reason });
      else logger.debug("dispatch message handled", { ...ids, kind: outcome.kind, ...outcome.result });
    } catch (error) {
      if (dequeueCount >= MAX_DEQUEUE_COUNT)
        logger.error(
          "dispatch message failed on its last delivery; the host moves it to the poison queue",
          ids,
        );
      throw error;
    }
  };
}

export const handler = makeDispatchHandler();
