/**
 * @module
 * The local stack's queue: in-process, with delayed delivery, a visibility timeout and redelivery
 * with backoff for failed messages, and a dead-letter list after `maxReceives` — the semantics of
 * SQS that the core relies on, without a cloud.
 */

import type { Logger } from "../../core/ports/logger.ts";
import type { Queue } from "../../core/ports/queue.ts";
import { stringifyJson } from "../../core/prefect/json.ts";
import type { QueueMessage } from "../../core/runtime/messages.ts";
import { describeError } from "../../core/shared/errors.ts";

export interface LocalQueueOptions {
  /** Handles one message body; a throw means "redeliver". */
  handler(body: string, receiveCount: number): Promise<void>;
  logger: Logger;
  maxReceives?: number;
  /** Redelivery delay after a failure, in ms (× receive count). */
  retryDelayMs?: number;
  concurrency?: number;
}

export interface DeadLetter {
  body: string;
  error: string;
  receives: number;
}

/** The longest delay one Node timer keeps (2^31 − 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class LocalQueue implements Queue {
  /** Delays are timers: any length. */
  readonly maxDelaySeconds = Number.POSITIVE_INFINITY;
  readonly deadLetters: DeadLetter[] = [];
  readonly stats = { sent: 0, delivered: 0, redelivered: 0, deadLettered: 0 };
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly ready: { body: string; receives: number }[] = [];
  private active = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: LocalQueueOptions) {}

  async send(message: QueueMessage, options?: { delaySeconds?: number }): Promise<void> {
    if (this.closed) throw new Error("queue is closed");
    this.stats.sent++;
    this.later(stringifyJson(message), 0, (options?.delaySeconds ?? 0) * 1000);
  }

  /** Sends a raw body (tests of malformed messages). */
  sendRaw(body: string, delayMs = 0): void {
    this.stats.sent++;
    this.later(body, 0, delayMs);
  }

  /** Messages waiting (delayed or ready) or being handled. */
  get depth(): number {
    return this.timers.size + this.ready.length + this.active;
  }

  /** Resolves when nothing is in flight, ready or delayed. */
  async idle(): Promise<void> {
    if (this.depth === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.ready.length = 0;
    this.notifyIdle();
  }

  private later(body: string, receives: number, delayMs: number) {
    // Node fires a timer longer than 2^31 − 1 ms at once: a long delay is a chain of shorter ones.
    const step = Math.min(delayMs, MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (delayMs > step) return this.later(body, receives, delayMs - step);
      this.ready.push({ body, receives });
      this.pump();
    }, step);
    this.timers.add(timer);
  }

  private pump() {
    const limit = this.options.concurrency ?? 16;
    while (!this.closed && this.active < limit && this.ready.length > 0) {
      const item = this.ready.shift() as { body: string; receives: number };
      this.active++;
      void this.deliver(item.body, item.receives + 1).finally(() => {
        this.active--;
        this.pump();
        this.notifyIdle();
      });
    }
  }

  private async deliver(body: string, receives: number) {
    this.stats.delivered++;
    if (receives > 1) this.stats.redelivered++;
    try {
      await this.options.handler(body, receives);
    } catch (error) {
      if (this.closed) return;
      const max = this.options.maxReceives ?? 5;
      if (receives >= max) {
        this.stats.deadLettered++;
        this.deadLetters.push({ body, error: describeError(error), receives });
        this.options.logger.error("message dead-lettered", { receives, error: describeError(error) });
        return;
      }
      const delay = (this.options.retryDelayMs ?? 1000) * receives;
      this.options.logger.warn("message will be redelivered", {
        receives,
        delayMs: delay,
        error: describeError(error),
      });
      this.later(body, receives, delay);
    }
  }

  private notifyIdle() {
    if (this.depth !== 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
