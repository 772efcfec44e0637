/**
 * StorageQueue (functions/azure/queue.ts) on azurite against the queue conformance suite. Each case
 * gets its own queue and `<queue>-poison`, consumed the way the Functions host's queue trigger does
 * (test/peers/azure/queueHost.ts): receive, hand over the decoded body, delete what was handled,
 * make a failure visible again after 1 s, and move a message that failed on its
 * `maxDequeueCount`-th delivery (3 here) to the poison queue.
 *
 * Declared limits: azurite, not Azure Storage — visibility timeouts are azurite's clock (whole
 * seconds, as Azure); the poison move is the harness's model of the host's rule.
 */
import { StorageQueue } from "../../../functions/azure/queue.ts";
import { azuriteQueueService, freshQueues, pollOnce } from "../../peers/azure/queueHost.ts";
import { describeQueueConformance, type QueueHarness } from "./suite.ts";

const MAX_DEQUEUE_COUNT = 3;
const RETRY_VISIBILITY_SECONDS = 1;

async function storageQueueHarness(): Promise<QueueHarness> {
  const { queue, poison } = await freshQueues(azuriteQueueService(), "pp-conf");
  let closed = false;
  let loop: Promise<void> = Promise.resolve();
  return {
    queue: new StorageQueue(queue),
    maxReceives: MAX_DEQUEUE_COUNT,
    redeliveryMs: RETRY_VISIBILITY_SECONDS * 1000 + 1500,
    consume(handle) {
      loop = (async () => {
        while (!closed) {
          const polled = await pollOnce(queue, (d) => handle(d.text, d.dequeueCount), {
            maxDequeueCount: MAX_DEQUEUE_COUNT,
            poison,
            retryVisibilitySeconds: RETRY_VISIBILITY_SECONDS,
          });
          if (polled.received === 0) await new Promise((r) => setTimeout(r, 100));
        }
      })();
    },
    async deadLetters() {
      const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
      return peekedMessageItems.map((m) => Buffer.from(m.messageText, "base64").toString("utf8"));
    },
    async close() {
      closed = true;
      await loop;
      await queue.delete();
      await poison.delete();
    },
  };
}

describeQueueConformance("StorageQueue on azurite", storageQueueHarness);
