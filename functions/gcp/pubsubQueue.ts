/**
 * @module
 * A Pub/Sub topic as a {@link Queue} (the dead-letter topic, and any topic pushpool publishes to).
 * A topic cannot delay (`maxDelaySeconds` 0): core holds an early message in the consumer instead
 * of publishing it again (core/runtime/earlyDelivery.ts). {@link pubsubEnvelope} reads what a
 * push subscription or an Eventarc trigger delivers (`google.cloud.pubsub.topic.v1.messagePublished`).
 */
import type { Topic } from "@google-cloud/pubsub";
import { z } from "zod";
import type { Queue } from "../../core/ports/queue.ts";
import { stringifyJson } from "../../core/prefect/json.ts";
import { formatIssues, type QueueMessage } from "../../core/runtime/messages.ts";
import { ConfigError, ValidationError } from "../../core/shared/errors.ts";
import { classifyQueueError } from "./queueErrors.ts";
import { requiredEnv } from "./tasksQueue.ts";

/** What a topic needs of a `@google-cloud/pubsub` Topic (the Topic itself fits). */
export interface TopicPort {
  readonly name?: string;
  publishMessage(message: { data: Buffer; attributes?: Record<string, string> }): Promise<unknown>;
}

export class PubSubTopic implements Queue {
  /** A topic delivers at once: it cannot delay. */
  readonly maxDelaySeconds = 0;
  private readonly topic: TopicPort;
  private readonly label: string;

  constructor({ topic, name }: { topic: TopicPort; name?: string }) {
    this.topic = topic;
    this.label = name ?? topic.name ?? "topic";
  }

  /** Publishes `body` (UTF-8) with `attributes`; a failure is classified (./queueErrors.ts). */
  async publish(body: string, attributes: Record<string, string> = {}): Promise<void> {
    try {
      await this.topic.publishMessage({ data: Buffer.from(body, "utf8"), attributes });
    } catch (error) {
      throw classifyQueueError(error, `Pub/Sub publish to ${this.label} failed`);
    }
  }

  /** Publishes the message JSON with its `kind` and `source` as attributes; `delaySeconds` is ignored. */
  async send(message: QueueMessage, _options?: { delaySeconds?: number }): Promise<void> {
    await this.publish(stringifyJson(message), { kind: message.kind, source: message.source });
  }
}

const TOPIC_PATH = /^projects\/[^/]+\/topics\/[^/]+$/;

/**
 * The dead-letter topic from PUSHPOOL_DEAD_LETTER_TOPIC (`projects/<p>/topics/<t>`), checked at
 * once; `@google-cloud/pubsub` is loaded and its client created on the first publish (not at cold
 * start), publishing each message at once (no batching window in a function).
 */
export function makeDeadLetterTopic(
  env: Readonly<Record<string, string | undefined>>,
  options: { clientOptions?: Record<string, unknown> } = {},
): PubSubTopic {
  const name = requiredEnv(env, "PUSHPOOL_DEAD_LETTER_TOPIC");
  if (!TOPIC_PATH.test(name))
    throw new ConfigError(
      `PUSHPOOL_DEAD_LETTER_TOPIC must be 'projects/<project>/topics/<topic>', got '${name}'`,
    );
  let topic: Promise<Topic> | null = null;
  const load = async (): Promise<Topic> => {
    const { PubSub } = await import("@google-cloud/pubsub");
    const project = name.split("/")[1];
    return new PubSub({ projectId: project, ...options.clientOptions }).topic(name, {
      batching: { maxMessages: 1, maxMilliseconds: 0 },
    });
  };
  const lazy: TopicPort = {
    name,
    async publishMessage(message) {
      topic ??= load().catch((error: unknown) => {
        topic = null;
        throw new ConfigError(`cannot load the Pub/Sub client: ${(error as Error).message}`, {
          cause: error,
        });
      });
      return (await topic).publishMessage(message);
    },
  };
  return new PubSubTopic({ topic: lazy, name });
}

/** A Pub/Sub message as delivered to a push endpoint. */
const PushedMessage = z.looseObject({
  data: z.string().optional(),
  attributes: z.record(z.string(), z.string()).nullish(),
  messageId: z.string().optional(),
  message_id: z.string().optional(),
  publishTime: z.string().optional(),
  publish_time: z.string().optional(),
});

/** A push request body, which is also the `data` of an Eventarc `messagePublished` CloudEvent. */
const PushBody = z.looseObject({
  message: PushedMessage,
  subscription: z.string().optional(),
  /** Present when the subscription has a dead-letter policy. */
  deliveryAttempt: z.number().int().min(1).optional(),
});

/** A Pub/Sub delivery as the functions read it. */
export interface PubSubDelivery {
  /** The message data, decoded from base64 as UTF-8. */
  body: string;
  attributes: Record<string, string>;
  messageId: string;
  publishTime?: string;
  subscription?: string;
  /** From 1; absent unless the subscription has a dead-letter policy. */
  deliveryAttempt?: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes a `messagePublished` CloudEvent (its `data` is the push body) or a push body itself.
 * Throws a {@link ValidationError} naming what is wrong (never quoting the data).
 */
export function pubsubEnvelope(event: unknown): PubSubDelivery {
  if (typeof event !== "object" || event === null)
    throw new ValidationError("Pub/Sub delivery is not an object");
  let push: unknown = "message" in event ? event : (event as { data?: unknown }).data;
  if (typeof push === "string" || push instanceof Uint8Array) push = parsePushText(push);
  const parsed = PushBody.safeParse(push);
  if (!parsed.success) throw new ValidationError(`not a Pub/Sub push message: ${formatIssues(parsed.error)}`);
  const { message, subscription, deliveryAttempt } = parsed.data;
  const data = (message.data ?? "").replace(/\s/g, "");
  if (data.length % 4 !== 0 || !BASE64.test(data))
    throw new ValidationError("Pub/Sub message data is not base64");
  const messageId = message.messageId ?? message.message_id;
  if (!messageId) throw new ValidationError("Pub/Sub message has no messageId");
  const publishTime = message.publishTime ?? message.publish_time;
  return {
    body: Buffer.from(data, "base64").toString("utf8"),
    attributes: { ...(message.attributes ?? {}) },
    messageId,
    ...(publishTime ? { publishTime } : {}),
    ...(subscription ? { subscription } : {}),
    ...(deliveryAttempt !== undefined ? { deliveryAttempt } : {}),
  };
}

function parsePushText(text: string | Uint8Array): unknown {
  try {
    return JSON.parse(typeof text === "string" ? text : Buffer.from(text).toString("utf8"));
  } catch (error) {
    throw new ValidationError(`Pub/Sub CloudEvent data is not JSON: ${(error as Error).message}`);
  }
}
