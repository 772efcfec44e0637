/**
 * Pub/Sub fixtures on the emulator (./pubsubEmulator.ts): a topic with a dead-letter topic and a
 * subscription whose `deadLetterPolicy` sends a message there after `maxDeliveryAttempts`, an
 * audit subscription that counts every message published to the topic (to prove nothing was
 * published again), and a local HTTP endpoint for push subscriptions.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Message, PubSub, Subscription, Topic } from "@google-cloud/pubsub";

export const PROJECT = "pushpool-test";

export interface TopicWithDeadLetters {
  topic: Topic;
  deadTopic: Topic;
  /** Bodies that reached the dead-letter topic, with their attributes. */
  dead: { body: string; attributes: Record<string, string> }[];
  /** Every message published to the topic, as an extra subscription saw it. */
  audit: { id: string; body: string }[];
  /** A pull subscription on the topic with the dead-letter policy (not listened to yet). */
  subscription: Subscription;
  close(): Promise<void>;
}

export async function topicWithDeadLetters(
  pubsub: PubSub,
  options: { maxDeliveryAttempts: number; push?: string; id?: string },
): Promise<TopicWithDeadLetters> {
  const id = options.id ?? `t-${randomUUID().slice(0, 12)}`;
  const [topic] = await pubsub.createTopic(id);
  const [deadTopic] = await pubsub.createTopic(`${id}-dead`);
  const [deadSub] = await deadTopic.createSubscription(`${id}-dead-sub`);
  const [auditSub] = await topic.createSubscription(`${id}-audit`);
  const [subscription] = await topic.createSubscription(`${id}-sub`, {
    ackDeadlineSeconds: 10,
    deadLetterPolicy: { deadLetterTopic: deadTopic.name, maxDeliveryAttempts: options.maxDeliveryAttempts },
    retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 2 } },
    ...(options.push ? { pushConfig: { pushEndpoint: options.push } } : {}),
  });
  const dead: TopicWithDeadLetters["dead"] = [];
  const audit: TopicWithDeadLetters["audit"] = [];
  deadSub.on("message", (m: Message) => {
    dead.push({ body: m.data.toString("utf8"), attributes: { ...m.attributes } });
    m.ack();
  });
  auditSub.on("message", (m: Message) => {
    audit.push({ id: m.id, body: m.data.toString("utf8") });
    m.ack();
  });
  return {
    topic,
    deadTopic,
    dead,
    audit,
    subscription,
    async close() {
      await Promise.all([subscription.close(), deadSub.close(), auditSub.close()]);
      await Promise.all([subscription.delete(), deadSub.delete(), auditSub.delete()]).catch(() => {});
      await Promise.all([topic.delete(), deadTopic.delete()]).catch(() => {});
    },
  };
}

/** An HTTP endpoint for push subscriptions: `answer` gives the status for each request body. */
export async function pushEndpoint(
  answer: (body: unknown) => Promise<number>,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      res.statusCode = await answer(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    } catch {
      res.statusCode = 500;
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/push`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
