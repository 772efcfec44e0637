/**
 * PubSubTopic (functions/gcp/pubsubQueue.ts) on the gcloud Pub/Sub emulator (started once for this
 * file, test/peers/gcp/pubsubEmulator.ts) with the real @google-cloud/pubsub client, against the
 * queue conformance suite: a topic cannot delay (`maxDelaySeconds` 0). Each case gets a topic, a
 * subscription with a `deadLetterPolicy` (5 delivery attempts — Pub/Sub's minimum — then the
 * dead-letter topic) and `retryPolicy` back-off, consumed by streaming pull (ack on success, nack on
 * a throw; `deliveryAttempt` is the receive count). The emulator honours dead-letter policies and
 * delivery attempts, so the suite runs on them unchanged.
 *
 * Beyond the suite: early delivery does not loop (a held message and a handed-back one are each
 * published exactly once — an audit subscription counts), a push subscription's requests decode
 * with `pubsubEnvelope` (also wrapped as an Eventarc CloudEvent), and `makeDeadLetterTopic`
 * publishes through a lazily created client and classifies a missing topic.
 *
 * Declared limits: the emulator, not Pub/Sub — its redelivery back-off is its own (the first nack
 * comes back at once, later ones after ~3 s, whatever the retry policy asks), and its push
 * requests carry no `deliveryAttempt` (Pub/Sub's do when a dead-letter policy is set; pull
 * deliveries on the emulator do carry it, and push subscriptions are dead-lettered all the same).
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import * as ff from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../../core/ports/clock.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import { deferIfEarly, HOLD_MAX_SECONDS } from "../../../core/runtime/earlyDelivery.ts";
import type { DispatchMessage } from "../../../core/runtime/messages.ts";
import { ConfigError, TransientError } from "../../../core/shared/errors.ts";
import {
  makeDeadLetterTopic,
  type PubSubDelivery,
  PubSubTopic,
  pubsubEnvelope,
} from "../../../functions/gcp/pubsubQueue.ts";
import { type PubsubEmulator, startPubsubEmulator } from "../../peers/gcp/pubsubEmulator.ts";
import { PROJECT, pushEndpoint, topicWithDeadLetters } from "../../peers/gcp/pubsubWorld.ts";
import { describeQueueConformance, type QueueHarness } from "./suite.ts";

const MAX_DELIVERY_ATTEMPTS = 5;
let emulator: PubsubEmulator | undefined;
let pubsub: PubSub;

beforeAll(async () => {
  emulator = await startPubsubEmulator();
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  pubsub = new PubSub({ projectId: PROJECT });
});
afterAll(async () => {
  await pubsub?.close();
  await emulator?.stop();
  delete process.env.PUBSUB_EMULATOR_HOST;
});

async function pubsubHarness(): Promise<QueueHarness> {
  const world = await topicWithDeadLetters(pubsub, { maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS });
  return {
    queue: new PubSubTopic({ topic: world.topic }),
    maxReceives: MAX_DELIVERY_ATTEMPTS,
    redeliveryMs: 5000,
    consume(handle) {
      world.subscription.on("message", (m) => {
        handle(m.data.toString("utf8"), m.deliveryAttempt).then(
          () => m.ack(),
          () => m.nack(),
        );
      });
    },
    async deadLetters() {
      return world.dead.map((d) => d.body);
    },
    close: () => world.close(),
  };
}

describeQueueConformance("PubSubTopic on the Pub/Sub emulator", pubsubHarness);

function dispatch(notBefore?: Date): DispatchMessage {
  const at = notBefore ? { notBefore: notBefore.toISOString() } : {};
  return { v: 1, kind: "dispatch", flowRunId: randomUUID(), pool: "p", source: "conformance", ...at };
}

async function waitFor(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("early delivery on Pub/Sub does not loop", () => {
  /** A consumer applying core's early-delivery rule with the topic itself as its queue. */
  async function consumeEarly(notBefore: Date) {
    const world = await topicWithDeadLetters(pubsub, { maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS });
    const queue = new PubSubTopic({ topic: world.topic });
    const seen: { id: string; attempt: number; outcome: string }[] = [];
    world.subscription.on("message", (m) => {
      const message = JSON.parse(m.data.toString("utf8")) as DispatchMessage;
      deferIfEarly(message, { queue, clock: systemClock, logger: silentLogger }).then(
        (outcome) => {
          seen.push({
            id: m.id,
            attempt: m.deliveryAttempt,
            outcome: outcome.deferred ? "deferred" : "held",
          });
          m.ack();
        },
        (error: unknown) => {
          seen.push({ id: m.id, attempt: m.deliveryAttempt, outcome: (error as Error).name });
          m.nack();
        },
      );
    });
    await queue.send(dispatch(notBefore));
    return { world, seen };
  }

  it("a dispatch a few seconds early is held by the consumer and acknowledged: one publish, one delivery", async () => {
    const { world, seen } = await consumeEarly(new Date(Date.now() + 3000));
    await waitFor("the held dispatch", () => seen.length > 0);
    await pause(3000);
    expect(seen.map((s) => [s.attempt, s.outcome])).toEqual([[1, "held"]]);
    expect(world.audit).toHaveLength(1);
    await world.close();
  });

  it("a dispatch too early to hold is handed back (nack): Pub/Sub redelivers the same message, nothing is published again", async () => {
    const { world, seen } = await consumeEarly(new Date(Date.now() + (HOLD_MAX_SECONDS + 600) * 1000));
    await waitFor("two deliveries", () => seen.length >= 2);
    await world.subscription.close();
    expect(seen.slice(0, 2).map((s) => [s.attempt, s.outcome])).toEqual([
      [1, TransientError.name],
      [2, TransientError.name],
    ]);
    expect(new Set(seen.map((s) => s.id)).size).toBe(1);
    await pause(1500);
    expect(world.audit).toHaveLength(1);
    await world.close();
  });
});

describe("push and Eventarc deliveries (pubsubEnvelope)", () => {
  it("decodes each push request as body and as a CloudEvent's data; a push that keeps failing is dead-lettered", async () => {
    const bodies: unknown[] = [];
    const endpoint = await pushEndpoint(async (body) => {
      bodies.push(body);
      return 500; // every push fails: Pub/Sub pushes again, then dead-letters
    });
    const world = await topicWithDeadLetters(pubsub, { maxDeliveryAttempts: 5, push: endpoint.url });
    const message = dispatch();
    await new PubSubTopic({ topic: world.topic }).send(message);
    await waitFor("the dead letter", () => world.dead.length > 0, 60_000);
    const pushes = bodies.map((b) => pubsubEnvelope(b));
    expect(pushes).toHaveLength(5);
    expect(new Set(pushes.map((p) => p.messageId)).size).toBe(1);
    const first = pushes[0];
    expect(JSON.parse(first?.body ?? "")).toEqual(message);
    expect(first?.attributes).toEqual({ kind: "dispatch", source: "conformance" });
    expect(first?.subscription).toBe(world.subscription.name);
    // The emulator leaves `deliveryAttempt` out of push requests (Pub/Sub sends it when the
    // subscription has a dead-letter policy); the decoder reads it when present (unit tests).
    expect(world.dead.map((d) => JSON.parse(d.body))).toEqual([message]);
    expect(world.dead[0]?.attributes.CloudPubSubDeadLetterSourceDeliveryCount).toBe("5");
    const cloudEvent = {
      specversion: "1.0",
      type: "google.cloud.pubsub.topic.v1.messagePublished",
      source: `//pubsub.googleapis.com/${world.topic.name}`,
      id: first?.messageId,
      data: bodies[0],
    };
    expect(pubsubEnvelope(cloudEvent)).toEqual(first);
    await world.close();
    await endpoint.stop();
  });
});

describe("a functions-framework CloudEvent function as the push endpoint", () => {
  it("gets the message as the framework converts a push into a messagePublished CloudEvent; pubsubEnvelope reads it", async () => {
    const got: PubSubDelivery[] = [];
    let failures = 0;
    ff.cloudEvent("gcpqEvents", (event: unknown) => {
      const delivery = pubsubEnvelope(event);
      if (failures++ === 0) throw new Error("first delivery fails"); // answered 500: pushed again
      got.push(delivery);
    });
    const server = getTestServer("gcpqEvents");
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The framework takes the topic from the push path (projects/<p>/topics/<t>), as it documents.
    const id = `t-${randomUUID().slice(0, 12)}`;
    const world = await topicWithDeadLetters(pubsub, {
      maxDeliveryAttempts: 5,
      push: `${base}/projects/${PROJECT}/topics/${id}`,
      id,
    });
    const message = dispatch();
    await new PubSubTopic({ topic: world.topic }).send(message);
    await waitFor("the second push", () => got.length > 0);
    expect(failures).toBe(2);
    expect(JSON.parse(got[0]?.body ?? "")).toEqual(message);
    expect(got[0]?.attributes).toEqual({ kind: "dispatch", source: "conformance" });
    expect(got[0]?.messageId).toBe(world.audit[0]?.id);
    await world.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe("makeDeadLetterTopic", () => {
  it("publishes to the topic named by PUSHPOOL_DEAD_LETTER_TOPIC through a client created on first use", async () => {
    const world = await topicWithDeadLetters(pubsub, { maxDeliveryAttempts: 5 });
    const topic = makeDeadLetterTopic({ PUSHPOOL_DEAD_LETTER_TOPIC: world.topic.name });
    await topic.publish('{"dead":true}', { reason: "poison" });
    await waitFor("the dead letter", () => world.audit.length > 0);
    expect(world.audit.map((a) => a.body)).toEqual(['{"dead":true}']);
    await world.close();
  });

  it("a topic that does not exist is a ConfigError naming it", async () => {
    const name = `projects/${PROJECT}/topics/missing-${randomUUID().slice(0, 8)}`;
    const error = await makeDeadLetterTopic({ PUSHPOOL_DEAD_LETTER_TOPIC: name })
      .publish("x", {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toContain("NOT_FOUND");
  });
});
