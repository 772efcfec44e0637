/**
 * @module
 * The Functions host settings the handlers and the package agree on: host.json's queue trigger
 * (./package/hostJson.ts writes them) and what the dispatch and poison handlers assume of it.
 */

/** Deliveries of a failing message before the host moves it to `<queue>-poison`. */
export const MAX_DEQUEUE_COUNT = 5;
/**
 * Seconds a failed message stays hidden before its next delivery (host.json `visibilityTimeout`):
 * with {@link MAX_DEQUEUE_COUNT}, a message rides out about 20 min of Prefect or Azure trouble
 * before it is poisoned (the SQS queue's 5 receives × 370 s on AWS is of the same order).
 */
export const RETRY_VISIBILITY_SECONDS = 300;
/** The timer schedules (NCRONTAB, six fields, UTC). */
export const TICK_SCHEDULE = "0 * * * * *";
export const POISON_SCHEDULE = "30 */5 * * * *";
/** The poison queue the host fills for a queue. */
export const poisonQueueName = (queue: string) => `${queue}-poison`;
