/**
 * LocalQueue (functions/local/queue.ts) against the queue conformance suite: in-process timers,
 * redelivery with a back-off of `retryDelayMs × receives`, dead letters kept in memory.
 *
 * Declared limits: none beyond being in-process (a restart loses what is queued).
 */
import { silentLogger } from "../../../core/ports/logger.ts";
import { LocalQueue } from "../../../functions/local/queue.ts";
import { describeQueueConformance, type QueueHarness } from "./suite.ts";

const MAX_RECEIVES = 3;
const RETRY_DELAY_MS = 100;

async function localHarness(): Promise<QueueHarness> {
  let handle: ((body: string, receives: number) => Promise<void>) | null = null;
  const queue = new LocalQueue({
    logger: silentLogger,
    maxReceives: MAX_RECEIVES,
    retryDelayMs: RETRY_DELAY_MS,
    handler: async (body, receives) => {
      if (!handle) throw new Error("no consumer yet");
      await handle(body, receives);
    },
  });
  return {
    queue,
    maxReceives: MAX_RECEIVES,
    redeliveryMs: RETRY_DELAY_MS * MAX_RECEIVES,
    consume(h) {
      handle = h;
    },
    async deadLetters() {
      return queue.deadLetters.map((d) => d.body);
    },
    async close() {
      queue.close();
    },
  };
}

describeQueueConformance("LocalQueue", localHarness);
