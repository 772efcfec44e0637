/**
 * @module
 * The production queue and dead-letter publisher of the GCP functions, in one place: the dispatch
 * queue is Cloud Tasks (`PUSHPOOL_TASKS_QUEUE`, target `PUSHPOOL_DISPATCH_URL`, OIDC as
 * `PUSHPOOL_TASKS_SERVICE_ACCOUNT`; Pub/Sub cannot delay a message) and the dead letter is a
 * Pub/Sub topic (`PUSHPOOL_DEAD_LETTER_TOPIC`).
 *
 * Both are made on first use (the events function never sends). Until the Cloud Tasks and Pub/Sub
 * adapters (./tasksQueue.ts, ./pubsubQueue.ts) are wired here, using either throws a ConfigError
 * saying so; tests and other runtimes inject their own through `RuntimeOptions`.
 */
import type { Queue } from "../../core/ports/queue.ts";
import { ConfigError } from "../../core/shared/errors.ts";

type Env = Record<string, string | undefined>;

/** Where a dispatch message goes after its last delivery attempt failed. */
export interface DeadLetterPublisher {
  publish(body: string, attributes: Record<string, string>): Promise<void>;
}

/** Cloud Tasks' farthest `scheduleTime`: 30 days ahead. */
export const CLOUD_TASKS_MAX_DELAY_SECONDS = 30 * 24 * 3600;

/** The Cloud Tasks dispatch queue, made on first send. */
export function productionQueue(env: Env): Queue {
  let queue: Queue | undefined;
  return {
    maxDelaySeconds: CLOUD_TASKS_MAX_DELAY_SECONDS,
    async send(message, options) {
      queue ??= cloudTasksQueue(env);
      await queue.send(message, options);
    },
  };
}

/** The dead-letter topic's publisher, made on first publish. */
export function productionDeadLetter(env: Env): DeadLetterPublisher {
  let publisher: DeadLetterPublisher | undefined;
  return {
    async publish(body, attributes) {
      publisher ??= deadLetterTopic(env);
      await publisher.publish(body, attributes);
    },
  };
}

function cloudTasksQueue(env: Env): Queue {
  required(env, "PUSHPOOL_TASKS_QUEUE", "the Cloud Tasks queue, projects/<p>/locations/<r>/queues/<q>");
  required(env, "PUSHPOOL_DISPATCH_URL", "the dispatch function's HTTPS URL");
  throw new ConfigError(
    "the Cloud Tasks dispatch queue adapter is not wired in this build (functions/gcp/queueFactory.ts)",
  );
}

function deadLetterTopic(env: Env): DeadLetterPublisher {
  required(env, "PUSHPOOL_DEAD_LETTER_TOPIC", "the dead-letter topic, projects/<p>/topics/<t>");
  throw new ConfigError(
    "the Pub/Sub dead-letter publisher is not wired in this build (functions/gcp/queueFactory.ts)",
  );
}

function required(env: Env, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set: ${what}`);
  return value;
}
