/**
 * CloudTasksQueue (functions/gcp/tasksQueue.ts) with the REAL CloudTasksClient on the Cloud Tasks
 * fake (test/peers/gcp/tasksFake.ts, gRPC from the SDK's protos) against the queue conformance
 * suite. Each case gets its own queue (max_attempts 3, back-off 0.2 s doubling to 1 s) whose tasks
 * the fake delivers by HTTP, at their `scheduleTime`, to a local target standing for the dispatch
 * function.
 *
 * How the suite's cases map to Google Cloud:
 * - a delay is the task's `scheduleTime`; the largest is Cloud Tasks' 30 days (the fake, like
 *   Cloud Tasks, refuses a task scheduled further ahead, so the cap is exercised, not assumed);
 * - a failed handling is a non-2xx answer, which Cloud Tasks retries with the queue's back-off
 *   (`X-CloudTasks-TaskRetryCount` + 1 is the receive count);
 * - dead-lettering: Cloud Tasks has no dead-letter queue — it DROPS a task whose `max_attempts`
 *   are spent. So the dispatch side dead-letters: on the last attempt (attempt = max_attempts) a
 *   handling that fails is published to the dead-letter topic (a PubSubTopic, here over an
 *   in-memory topic port; the topic itself is tested on the emulator in pubsub.conformance) and
 *   answered 2xx, so Cloud Tasks stops. `deadLetters()` reads that topic. The fake's `dropped`
 *   must stay empty: nothing is lost.
 *
 * Declared limits: the fake, not Cloud Tasks — no rate limits, no `max_retry_duration`, times are
 * this machine's clock.
 */
import { afterAll, expect, it } from "vitest";
import { PubSubTopic } from "../../../functions/gcp/pubsubQueue.ts";
import { CloudTasksQueue, tasksEnvelope } from "../../../functions/gcp/tasksQueue.ts";
import { SERVICE_ACCOUNT, startTasksWorld, type TasksWorld } from "../../peers/gcp/tasksWorld.ts";
import { describeQueueConformance, type QueueHarness } from "./suite.ts";

const MAX_ATTEMPTS = 3;
const MAX_BACKOFF_MS = 1000;

let world: TasksWorld | null = null;
afterAll(async () => {
  await world?.stop();
});

async function cloudTasksHarness(): Promise<QueueHarness> {
  world ??= await startTasksWorld();
  const w = world;
  const dead: string[] = [];
  const deadLetterTopic = new PubSubTopic({
    name: "projects/pushpool-test/topics/dead-letters",
    topic: {
      async publishMessage(message) {
        dead.push(message.data.toString("utf8"));
        return "1";
      },
    },
  });
  let handle: ((body: string, receives: number) => Promise<void>) | null = null;
  const queue = await w.queue(
    // The dispatch function: handle; on failure answer 500 (Cloud Tasks retries), except on the
    // last attempt, where the message goes to the dead-letter topic and the answer is 204.
    async (req) => {
      const delivery = tasksEnvelope(req);
      try {
        if (!handle) throw new Error("no consumer yet");
        await handle(delivery.body, delivery.attempt);
        return 204;
      } catch (error) {
        if (delivery.attempt < MAX_ATTEMPTS) return 500;
        await deadLetterTopic.publish(delivery.body, {
          reason: (error as Error).message.slice(0, 200),
          taskName: delivery.taskName,
          attempts: String(delivery.attempt),
        });
        return 204;
      }
    },
    { maxAttempts: MAX_ATTEMPTS, minBackoffMs: 200, maxBackoffMs: MAX_BACKOFF_MS },
  );
  return {
    queue: new CloudTasksQueue({
      client: w.client,
      queuePath: queue.path,
      targetUrl: queue.url,
      serviceAccountEmail: SERVICE_ACCOUNT,
    }),
    maxReceives: MAX_ATTEMPTS,
    redeliveryMs: MAX_BACKOFF_MS + 1500,
    consume(h) {
      handle = h;
    },
    async deadLetters() {
      return [...dead];
    },
    async close() {
      await queue.close();
    },
  };
}

describeQueueConformance("CloudTasksQueue on the Cloud Tasks fake", cloudTasksHarness);

it("Cloud Tasks dropped no task: every poison message went to the dead-letter topic first", () => {
  expect(world).not.toBeNull();
  expect(world?.fake.deliveries.length).toBeGreaterThan(0);
  expect(world?.fake.dropped).toEqual([]);
});
