import type { QueueMessage } from "../runtime/messages.ts";

/**
 * A queue or topic the dispatch messages travel on (SQS, Azure Storage Queue, Pub/Sub, …).
 *
 * `maxDelaySeconds` is the longest delay the queue honours (SQS 900, an Azure Storage Queue 7 days,
 * 0 for a topic that cannot delay, such as Pub/Sub). `delaySeconds` may be fractional; an adapter
 * rounds down to what its cloud supports and caps it at its maximum. A message that arrives early
 * is handled by core (core/runtime/earlyDelivery.ts): re-sent with the remaining delay where the
 * queue can delay, held in the consumer otherwise — never a publish/receive loop.
 */
export interface Queue {
  readonly maxDelaySeconds: number;
  send(message: QueueMessage, options?: { delaySeconds?: number }): Promise<void>;
}
