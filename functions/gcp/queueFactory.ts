/**
 * @module
 * The production queue and dead-letter publisher of the GCP functions, in one place: the dispatch
 * queue is Cloud Tasks (`PUSHPOOL_TASKS_QUEUE`, target `PUSHPOOL_DISPATCH_URL`, OIDC as
 * `PUSHPOOL_TASKS_SERVICE_ACCOUNT`; Pub/Sub cannot delay a message) and the dead letter is a
 * Pub/Sub topic (`PUSHPOOL_DEAD_LETTER_TOPIC`).
 *
 * Both are made on first use (the events function never sends), from ./tasksQueue.ts and
 * ./pubsubQueue.ts, which check their settings then and load the SDK on the first send; tests
 * inject their own through `RuntimeOptions`.
 */
import type { Queue } from "../../core/ports/queue.ts";
import { makeDeadLetterTopic } from "./pubsubQueue.ts";
import { MAX_TASKS_DELAY_SECONDS, makeTasksQueue } from "./tasksQueue.ts";

type Env = Record<string, string | undefined>;

/** Where a dispatch message goes after its last delivery attempt failed. */
export interface DeadLetterPublisher {
  publish(body: string, attributes: Record<string, string>): Promise<void>;
}

/** The Cloud Tasks dispatch queue, made on first send. */
export function productionQueue(env: Env): Queue {
  let queue: Queue | undefined;
  return {
    maxDelaySeconds: MAX_TASKS_DELAY_SECONDS,
    async send(message, options) {
      queue ??= makeTasksQueue(env);
      await queue.send(message, options);
    },
  };
}

/** The dead-letter topic's publisher, made on first publish. */
export function productionDeadLetter(env: Env): DeadLetterPublisher {
  let publisher: DeadLetterPublisher | undefined;
  return {
    async publish(body, attributes) {
      publisher ??= makeDeadLetterTopic(env);
      await publisher.publish(body, attributes);
    },
  };
}
