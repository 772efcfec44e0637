/**
 * @module
 * A trigger Prefect cannot take now goes back to the queue instead of using up its deliveries.
 *
 * A SQLite-backed Prefect server fails `create_flow_run` at once whenever another write commits
 * during it, so while a burst of due runs is being dispatched nearly every create fails — for as
 * long as the burst lasts, which on a slow machine is minutes. Retried within one delivery
 * (./createFlowRun.ts) and then redelivered, a trigger would reach `maxReceiveCount` and be
 * dead-lettered although nothing is wrong with it. So after a delivery's own retries, a retryable
 * failure re-queues the message (a new one, delayed {@link DEFER_SECONDS} s plus jitter, marked
 * `deferredSince`) and acknowledges this one. Only once a trigger has been deferred for
 * {@link MAX_DEFERRAL_MS} does its failure go to the queue's redelivery, and finally to the DLQ
 * with its reason: Prefect has then been failing for that long.
 */
import type { Deps } from "../runtime/deps.ts";
import type { TriggerMessage } from "../runtime/messages.ts";
import { describeError, isRetryable } from "../shared/errors.ts";

/** How long a trigger keeps being deferred before its failures count as deliveries. */
export const MAX_DEFERRAL_MS = 15 * 60_000;
/** Base delay of a deferred trigger (plus up to as much again of jitter). */
export const DEFER_SECONDS = 20;

export interface DeferredTrigger {
  deferred: true;
  idempotencyKey: string;
  delaySeconds: number;
  deferredSince: string;
  reason: string;
}

/** Re-queues `message` after `error` when that is the right answer; null when it is not. */
export async function deferTrigger(
  message: TriggerMessage,
  error: unknown,
  deps: Pick<Deps, "queue" | "clock" | "logger">,
  random: () => number = Math.random,
): Promise<DeferredTrigger | null> {
  if (!isRetryable(error)) return null;
  const now = deps.clock.now().getTime();
  const since = message.deferredSince ? Date.parse(message.deferredSince) : now;
  if (!Number.isFinite(since) || now - since >= MAX_DEFERRAL_MS) return null;
  const delaySeconds = DEFER_SECONDS + Math.floor(random() * DEFER_SECONDS);
  const deferredSince = new Date(since).toISOString();
  try {
    await deps.queue.send({ ...message, deferredSince }, { delaySeconds });
  } catch {
    return null; // not re-queued: this delivery fails and is redelivered
  }
  const reason = describeError(error);
  deps.logger.warn("trigger deferred: Prefect could not create the run now", {
    idempotencyKey: message.idempotencyKey,
    delaySeconds,
    deferredSince,
    reason,
  });
  return { deferred: true, idempotencyKey: message.idempotencyKey, delaySeconds, deferredSince, reason };
}
