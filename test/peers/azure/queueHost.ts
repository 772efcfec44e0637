/**
 * @module
 * What the Azure Functions host does for a queue trigger, played against azurite: receive a batch
 * (messages hidden while handled), decode each base64 body, hand it over with its `dequeueCount`,
 * delete it when the handling returns, make it visible again after `retryVisibilitySeconds` when it
 * throws — and, as the host's queue processor does, move to `<queue>-poison` a message whose
 * handling failed on its `maxDequeueCount`-th delivery (or that arrives with a dequeue count above
 * it, after a crash), never retried forever.
 */
import { randomUUID } from "node:crypto";
import { type QueueClient, QueueServiceClient } from "@azure/storage-queue";
import { inject } from "vitest";
import { decodeBody } from "../../../functions/azure/queue.ts";

/** The run's azurite queue service (test/peers/globalSetup.ts started it). */
export function azuriteQueueService(): QueueServiceClient {
  return QueueServiceClient.fromConnectionString(inject("azuriteQueues"));
}

/** A new queue and its poison queue, named uniquely for a test. */
export async function freshQueues(
  service: QueueServiceClient,
  prefix: string,
): Promise<{ queue: QueueClient; poison: QueueClient }> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`.toLowerCase();
  const queue = service.getQueueClient(name);
  const poison = service.getQueueClient(`${name}-poison`);
  await queue.create();
  await poison.create();
  return { queue, poison };
}

export interface Delivery {
  /** The decoded text (the JSON a queue message carries). */
  text: string;
  dequeueCount: number;
  messageId: string;
  insertedOn?: Date;
}

export interface HostOptions {
  maxDequeueCount: number;
  /** `<queue>-poison`, where the host moves what failed `maxDequeueCount` times. */
  poison: QueueClient;
  /** The host's `visibilityTimeout` between retries (default 1 s). */
  retryVisibilitySeconds?: number;
  /** Messages hidden while a batch is handled (default 30 s). */
  leaseSeconds?: number;
  batchSize?: number;
}

export interface PollResult {
  received: number;
  handled: number;
  failed: number;
  poisoned: number;
}

/** One receive and the handling of what came, as the host's queue listener does it. */
export async function pollOnce(
  queue: QueueClient,
  handle: (delivery: Delivery) => Promise<void>,
  options: HostOptions,
): Promise<PollResult> {
  const result: PollResult = { received: 0, handled: 0, failed: 0, poisoned: 0 };
  const { receivedMessageItems: items } = await queue.receiveMessages({
    numberOfMessages: options.batchSize ?? 16,
    visibilityTimeout: options.leaseSeconds ?? 30,
  });
  for (const item of items) {
    result.received++;
    const toPoison = async () => {
      await options.poison.createIfNotExists();
      await options.poison.sendMessage(item.messageText, { messageTimeToLive: -1 });
      await queue.deleteMessage(item.messageId, item.popReceipt);
      result.poisoned++;
    };
    if (item.dequeueCount > options.maxDequeueCount) {
      await toPoison();
      continue;
    }
    try {
      await handle({
        text: decodeBody(item.messageText),
        dequeueCount: item.dequeueCount,
        messageId: item.messageId,
        insertedOn: item.insertedOn,
      });
      await queue.deleteMessage(item.messageId, item.popReceipt);
      result.handled++;
    } catch {
      result.failed++;
      if (item.dequeueCount >= options.maxDequeueCount) await toPoison();
      else
        await queue.updateMessage(
          item.messageId,
          item.popReceipt,
          undefined,
          options.retryVisibilitySeconds ?? 1,
        );
    }
  }
  return result;
}
