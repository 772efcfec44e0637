/**
 * @module
 * The timer that clears `<queue>-poison`: the Functions host moves there a queue message whose
 * handling failed on each of its `maxDequeueCount` deliveries. Each one is logged at error level
 * with what it was (a run's dispatch, a deployment's trigger, or text that is no message) and why
 * it is there, then deleted: never retried, never lost without a line. The run of a lost dispatch
 * is not lost: the tick enqueues a late scheduled run again, and reconcile watches a claimed one.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import { parseQueueMessage } from "../../core/runtime/messages.ts";
import { describeError } from "../../core/shared/errors.ts";
import { MAX_DEQUEUE_COUNT } from "./hostSettings.ts";
import { classifyStorageError, decodeBody } from "./queue.ts";
import { type AzureRuntime, runtime } from "./wiring.ts";

/** At most this many batches of 32 per firing (the next firing takes the rest). */
const MAX_BATCHES = 20;
/** Seconds a message stays hidden while it is logged and deleted. */
const LEASE_SECONDS = 120;

export interface PoisonEntry {
  messageId: string;
  insertedOn?: string;
  what: Record<string, string>;
  reason: string;
}

/** What a poison message was and why it is there, from its (base64) text alone. */
export function describePoison(text: string): Pick<PoisonEntry, "what" | "reason"> {
  const body = decodeBody(text);
  try {
    const message = parseQueueMessage(body);
    const what: Record<string, string> =
      message.kind === "dispatch"
        ? { kind: "dispatch", flowRunId: message.flowRunId, pool: message.pool, source: message.source }
        : {
            kind: "trigger",
            deployment: message.deployment,
            idempotencyKey: message.idempotencyKey,
            source: message.source,
          };
    return {
      what,
      reason: `its handling failed on each of ${MAX_DEQUEUE_COUNT} deliveries with an error that was not permanent (the dispatch function's 'will be redelivered' warnings give each one)`,
    };
  } catch (error) {
    return { what: { kind: "unreadable" }, reason: describeError(error) };
  }
}

export function makePoisonHandler(getRuntime: () => Promise<AzureRuntime> = runtime) {
  return async (_timer?: Timer, _context?: InvocationContext): Promise<PoisonEntry[]> => {
    const rt = await getRuntime();
    const poison = rt.poisonClient();
    const drained: PoisonEntry[] = [];
    try {
      for (let batch = 0; batch < MAX_BATCHES; batch++) {
        const { receivedMessageItems: items } = await poison.receiveMessages({
          numberOfMessages: 32,
          visibilityTimeout: LEASE_SECONDS,
        });
        for (const item of items) {
          const entry: PoisonEntry = {
            messageId: item.messageId,
            insertedOn: item.insertedOn?.toISOString(),
            ...describePoison(item.messageText),
          };
          rt.logger.error("poison message removed", { queue: poison.name, ...entry });
          await poison.deleteMessage(item.messageId, item.popReceipt);
          drained.push(entry);
        }
        if (items.length === 0) break;
      }
    } catch (error) {
      const classified = classifyStorageError(error, `Failed to drain the poison queue '${poison.name}'`);
      // A poison queue the host has not made yet: nothing ever failed.
      if ((error as { statusCode?: number })?.statusCode === 404) return drained;
      rt.logger.error("poison drain failed; the next firing retries", { error: describeError(classified) });
      throw classified;
    }
    if (drained.length) rt.logger.warn("poison queue drained", { queue: poison.name, count: drained.length });
    return drained;
  };
}

export const handler = makePoisonHandler();
