/**
 * @module
 * A dispatch delivered before its `notBefore` (a queue's delay is capped — SQS at 15 min — or the
 * queue cannot delay at all, as a Pub/Sub topic). Where the queue can delay, the message goes back
 * with the remaining delay (capped at the queue's largest). Where it cannot, re-publishing would
 * make a publish/receive loop: the consumer holds the message instead, up to
 * {@link HOLD_MAX_SECONDS}, and past that hands it back unacknowledged (a TransientError with the
 * remaining time), so the queue's own redelivery back-off brings it again — no new message.
 */
import type { Clock } from "../ports/clock.ts";
import type { Logger } from "../ports/logger.ts";
import type { Queue } from "../ports/queue.ts";
import { TransientError } from "../shared/errors.ts";
import type { DispatchMessage } from "./messages.ts";

/** The longest a consumer holds an early message of a queue that cannot delay. */
export const HOLD_MAX_SECONDS = 60;
/** Earliness below this is not worth a round trip. */
const TOLERANCE_SECONDS = 1;

export type EarlyOutcome =
  | { deferred: false; heldSeconds: number }
  | { deferred: true; delaySeconds: number };

export async function deferIfEarly(
  message: DispatchMessage,
  deps: { queue: Queue; clock: Clock; logger: Logger },
): Promise<EarlyOutcome> {
  if (!message.notBefore) return { deferred: false, heldSeconds: 0 };
  const early = (Date.parse(message.notBefore) - deps.clock.now().getTime()) / 1000;
  if (!(early > TOLERANCE_SECONDS)) return { deferred: false, heldSeconds: 0 };
  const flowRunId = message.flowRunId;
  if (deps.queue.maxDelaySeconds > 0) {
    const delaySeconds = Math.ceil(Math.min(early, deps.queue.maxDelaySeconds));
    await deps.queue.send(message, { delaySeconds });
    deps.logger.info("dispatch deferred: delivered early", { flowRunId, delaySeconds });
    return { deferred: true, delaySeconds };
  }
  if (early <= HOLD_MAX_SECONDS) {
    deps.logger.info("dispatch held: delivered early by a queue that cannot delay", {
      flowRunId,
      holdSeconds: Math.ceil(early),
    });
    await deps.clock.sleep(early * 1000);
    return { deferred: false, heldSeconds: early };
  }
  throw new TransientError(
    `dispatch of flow run ${flowRunId} delivered ${Math.ceil(early)} s early by a queue that cannot delay`,
    Math.ceil(early),
  );
}
