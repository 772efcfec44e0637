/**
 * @module
 * The queue conformance suite: one set of cases every {@link Queue} adapter must pass unchanged
 * (LocalQueue, SQS today; Pub/Sub, Cloud Tasks, Azure Storage Queue later), each through a small
 * per-adapter harness. What core relies on: a delay is honoured (never early), a delay above the
 * queue's largest is capped — not rejected — and still delays, a failed handling is redelivered, a
 * poison message ends in the dead-letter queue after `maxReceives`, and core's early-delivery rule
 * (core/runtime/earlyDelivery.ts) on this queue re-sends with the remaining delay where the queue
 * can delay, and holds (no publish) where it cannot.
 *
 * Timing: only lower bounds a timer or the cloud guarantees (a delayed message is never received
 * before its delay, less a margin for the cloud's whole-second rounding) and generous upper waits.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../../core/ports/clock.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { Queue } from "../../../core/ports/queue.ts";
import { deferIfEarly, HOLD_MAX_SECONDS } from "../../../core/runtime/earlyDelivery.ts";
import type { DispatchMessage } from "../../../core/runtime/messages.ts";
import { TransientError } from "../../../core/shared/errors.ts";

export interface QueueHarness {
  readonly queue: Queue;
  /** Starts consuming. A throw from `handle` leaves the message to be redelivered. */
  consume(handle: (body: string, receives: number) => Promise<void>): void;
  /** Bodies in the dead-letter queue (reading them does not remove them). */
  deadLetters(): Promise<string[]>;
  /** Receives after which a message whose handling keeps failing is dead-lettered. */
  readonly maxReceives: number;
  /** The longest one redelivery may take (visibility timeout, back-off), in ms. */
  readonly redeliveryMs: number;
  close(): Promise<void>;
}

/** Longest delay the suite asks a queue that takes any delay (Infinity) to honour: 30 days. */
const UNBOUNDED_PROBE_SECONDS = 30 * 24 * 3600;
/** Slack for the cloud rounding a delay down to whole seconds and for clocks read in two places. */
const ROUNDING_MS = 1000;
/** Generous wait for a message the queue should deliver (noisy, shared machines). */
const DELIVERY_MS = 10_000;

interface Receipt {
  flowRunId: string;
  receives: number;
  at: number;
}

function dispatch(notBefore?: Date): DispatchMessage {
  return {
    v: 1,
    kind: "dispatch",
    flowRunId: randomUUID(),
    pool: "conformance",
    source: "conformance",
    ...(notBefore ? { notBefore: notBefore.toISOString() } : {}),
  };
}

async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function describeQueueConformance(name: string, makeHarness: () => Promise<QueueHarness>): void {
  describe(`queue conformance: ${name}`, () => {
    let h: QueueHarness;
    let receipts: Receipt[];
    /** flowRunId → receives on which the handler throws (every one when "always"). */
    let failing: Map<string, "always" | number>;
    const of = (id: string) => receipts.filter((r) => r.flowRunId === id);

    beforeEach(async () => {
      h = await makeHarness();
      receipts = [];
      failing = new Map();
      h.consume(async (body, receives) => {
        const { flowRunId } = JSON.parse(body) as DispatchMessage;
        receipts.push({ flowRunId, receives, at: Date.now() });
        const fail = failing.get(flowRunId);
        if (fail === "always" || (fail !== undefined && receives <= fail))
          throw new Error(`conformance: handling ${receives} of ${flowRunId} fails`);
      });
    });
    afterEach(async () => {
      await h?.close();
    });

    it("declares the largest delay it honours (0 for a queue that cannot delay)", () => {
      expect(h.queue.maxDelaySeconds).toBeGreaterThanOrEqual(0);
    });

    it("a message sent with a 2 s delay is received after the delay, not before", async () => {
      const message = dispatch();
      const sentAt = Date.now();
      await h.queue.send(message, { delaySeconds: 2 });
      await waitFor("the delayed message", () => of(message.flowRunId).length > 0, 2000 + DELIVERY_MS);
      const first = of(message.flowRunId)[0] as Receipt;
      // A queue that cannot delay takes the option and delivers at once (core never asks it to wait).
      if (h.queue.maxDelaySeconds >= 2) expect(first.at - sentAt).toBeGreaterThanOrEqual(2000 - ROUNDING_MS);
      expect(first.receives).toBe(1);
    });

    it("a delay above the largest it honours is accepted (capped), and still delays", async () => {
      const max = h.queue.maxDelaySeconds;
      const above = Number.isFinite(max) ? max + 3600 : UNBOUNDED_PROBE_SECONDS;
      const message = dispatch();
      await expect(h.queue.send(message, { delaySeconds: above })).resolves.toBeUndefined();
      if (max === 0) {
        await waitFor(
          "the message (a queue that cannot delay)",
          () => of(message.flowRunId).length > 0,
          DELIVERY_MS,
        );
        return;
      }
      const control = dispatch();
      await h.queue.send(control);
      // Once an undelayed message sent after it has arrived, an ignored or overflowed delay would have too.
      await waitFor("an undelayed control message", () => of(control.flowRunId).length > 0, DELIVERY_MS);
      await pause(1500);
      expect(of(message.flowRunId)).toEqual([]);
    });

    it("a failed handling is redelivered, and the message is not dead-lettered once handled", async () => {
      const message = dispatch();
      failing.set(message.flowRunId, 1);
      await h.queue.send(message);
      await waitFor("the redelivery", () => of(message.flowRunId).length >= 2, h.redeliveryMs + DELIVERY_MS);
      expect(of(message.flowRunId).map((r) => r.receives)).toEqual([1, 2]);
      await pause(Math.min(h.redeliveryMs, 3000) + 500);
      expect(of(message.flowRunId)).toHaveLength(2);
      expect(await h.deadLetters()).toEqual([]);
    });

    it("a poison message is dead-lettered after maxReceives handlings", async () => {
      const message = dispatch();
      failing.set(message.flowRunId, "always");
      await h.queue.send(message);
      const budget = h.maxReceives * h.redeliveryMs + 2 * DELIVERY_MS;
      let dead: string[] = [];
      const deadline = Date.now() + budget;
      while (!dead.some((b) => b.includes(message.flowRunId))) {
        if (Date.now() > deadline) throw new Error(`not dead-lettered within ${budget} ms`);
        await pause(250);
        dead = await h.deadLetters();
      }
      expect(dead.map((b) => (JSON.parse(b) as DispatchMessage).flowRunId)).toEqual([message.flowRunId]);
      expect(of(message.flowRunId).map((r) => r.receives)).toEqual(
        Array.from({ length: h.maxReceives }, (_, i) => i + 1),
      );
    });

    it("an early dispatch: re-sent with the remaining delay where the queue can delay, else held", async () => {
      const early = dispatch(new Date(Date.now() + 3000));
      const deps = { queue: h.queue, clock: systemClock, logger: silentLogger };
      const startedAt = Date.now();
      const outcome = await deferIfEarly(early, deps);
      if (h.queue.maxDelaySeconds === 0) {
        expect(outcome.deferred).toBe(false);
        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2000 - ROUNDING_MS);
        await pause(1000);
        expect(of(early.flowRunId)).toEqual([]); // held in the consumer, never published again
        return;
      }
      expect(outcome).toEqual({
        deferred: true,
        delaySeconds: Math.min(3, Math.ceil(h.queue.maxDelaySeconds)),
      });
      await waitFor("the re-sent dispatch", () => of(early.flowRunId).length > 0, 3000 + DELIVERY_MS);
      const first = of(early.flowRunId)[0] as Receipt;
      expect(first.at - startedAt).toBeGreaterThanOrEqual(
        Math.min(3, h.queue.maxDelaySeconds) * 1000 - 2 * ROUNDING_MS,
      );
    });

    it("a very early dispatch: re-sent capped at the largest delay, or handed back (nack) unsent", async () => {
      const max = h.queue.maxDelaySeconds;
      const aheadSeconds = Number.isFinite(max)
        ? Math.max(max, HOLD_MAX_SECONDS) + 3600
        : UNBOUNDED_PROBE_SECONDS;
      const early = dispatch(new Date(Date.now() + aheadSeconds * 1000));
      const deps = { queue: h.queue, clock: systemClock, logger: silentLogger };
      if (max === 0) {
        await expect(deferIfEarly(early, deps)).rejects.toBeInstanceOf(TransientError);
      } else {
        const outcome = await deferIfEarly(early, deps);
        expect(outcome.deferred).toBe(true);
        const delaySeconds = outcome.deferred ? outcome.delaySeconds : Number.NaN;
        if (Number.isFinite(max)) expect(delaySeconds).toBe(Math.ceil(max));
        else expect(delaySeconds).toBeGreaterThanOrEqual(aheadSeconds - 5);
      }
      await pause(1500);
      expect(of(early.flowRunId)).toEqual([]);
    });
  });
}
