/**
 * A queue that cannot delay (as a Pub/Sub topic): a tiny in-test adapter with `maxDelaySeconds` 0
 * that delivers at once and counts its sends. It runs the conformance suite (so the suite's
 * branches for such queues are exercised before a real one lands), and core's early-delivery rule
 * is checked on it with a fake clock: an early dispatch is held in the consumer, never published
 * again (0 sends), and one too early to hold is handed back unacknowledged (a TransientError).
 *
 * Declared limits: in-memory; it ignores `delaySeconds` by definition.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Clock } from "../../../core/ports/clock.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { Queue } from "../../../core/ports/queue.ts";
import { deferIfEarly, HOLD_MAX_SECONDS } from "../../../core/runtime/earlyDelivery.ts";
import type { DispatchMessage, QueueMessage } from "../../../core/runtime/messages.ts";
import { TransientError } from "../../../core/shared/errors.ts";
import { describeQueueConformance, type QueueHarness } from "./suite.ts";

const MAX_RECEIVES = 3;
const REDELIVERY_MS = 100;

class TopicQueue implements Queue {
  readonly maxDelaySeconds = 0;
  sends = 0;
  readonly dead: string[] = [];
  handle: ((body: string, receives: number) => Promise<void>) | null = null;
  private closed = false;

  async send(message: QueueMessage): Promise<void> {
    this.sends++;
    this.deliver(JSON.stringify(message), 1, 0);
  }

  close() {
    this.closed = true;
  }

  private deliver(body: string, receives: number, afterMs: number) {
    setTimeout(async () => {
      if (this.closed) return;
      try {
        if (!this.handle) throw new Error("no subscriber yet");
        await this.handle(body, receives);
      } catch {
        if (receives >= MAX_RECEIVES) this.dead.push(body);
        else this.deliver(body, receives + 1, REDELIVERY_MS);
      }
    }, afterMs);
  }
}

describeQueueConformance("a queue that cannot delay (in-test topic)", async (): Promise<QueueHarness> => {
  const queue = new TopicQueue();
  return {
    queue,
    maxReceives: MAX_RECEIVES,
    redeliveryMs: REDELIVERY_MS,
    consume(handle) {
      queue.handle = handle;
    },
    async deadLetters() {
      return [...queue.dead];
    },
    async close() {
      queue.close();
    },
  };
});

/** A clock that never waits: `sleep` advances it and records how long was asked. */
function fakeClock(start: number): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(now),
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

function earlyBy(seconds: number, clock: Clock): DispatchMessage {
  return {
    v: 1,
    kind: "dispatch",
    flowRunId: randomUUID(),
    pool: "conformance",
    source: "conformance",
    notBefore: new Date(clock.now().getTime() + seconds * 1000).toISOString(),
  };
}

describe("early delivery on a queue that cannot delay (fake clock)", () => {
  it("holds an early dispatch until its time and publishes nothing", async () => {
    const queue = new TopicQueue();
    const clock = fakeClock(Date.parse("2026-12-06T12:00:00Z"));
    const outcome = await deferIfEarly(earlyBy(30, clock), { queue, clock, logger: silentLogger });
    expect(outcome).toEqual({ deferred: false, heldSeconds: 30 });
    expect(clock.slept).toEqual([30_000]);
    expect(queue.sends).toBe(0);
  });

  it("hands a dispatch too early to hold back unacknowledged (TransientError), publishing nothing", async () => {
    const queue = new TopicQueue();
    const clock = fakeClock(Date.parse("2026-12-06T12:00:00Z"));
    const ahead = HOLD_MAX_SECONDS + 600;
    const error = await deferIfEarly(earlyBy(ahead, clock), { queue, clock, logger: silentLogger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).retryAfterSeconds).toBe(ahead);
    expect(clock.slept).toEqual([]);
    expect(queue.sends).toBe(0);
  });

  it("a dispatch on time is neither held nor published", async () => {
    const queue = new TopicQueue();
    const clock = fakeClock(Date.parse("2026-12-06T12:00:00Z"));
    const outcome = await deferIfEarly(earlyBy(-5, clock), { queue, clock, logger: silentLogger });
    expect(outcome).toEqual({ deferred: false, heldSeconds: 0 });
    expect(clock.slept).toEqual([]);
    expect(queue.sends).toBe(0);
  });
});
