/**
 * @module
 * What a warm tick remembers between ticks, in memory only (no Prefect write, nothing shared): the
 * runs it enqueued, with the run's scheduled time, the message's delivery time and the tick that
 * sent it. A due run that is still unclaimed is enqueued again only when its last message has been
 * delivered and was sent {@link REENQUEUE_AFTER_TICKS} ticks ago or more — not on every tick, which
 * piled duplicates behind a busy dispatcher. Ticks are counted, not timed, so a stack driven faster
 * than its cadence (tests) recovers as fast. A run whose scheduled time changed is enqueued as new.
 * A cold instance remembers nothing and enqueues every due run, as before: at worst a duplicate (a
 * cheap skip), never a run left behind.
 */

/** Ticks after sending a message before the tick enqueues the same unclaimed run again. */
export const REENQUEUE_AFTER_TICKS = 3;

interface Sent {
  /** The run's scheduled time when it was enqueued (ms). */
  due: number;
  /** When that message was to be delivered (ms). */
  at: number;
  /** The tick that sent it. */
  tick: number;
}

export class TickMemo {
  private readonly sent = new Map<string, Sent>();
  private tickNo = 0;

  /** A new tick begins: forgets messages whose runs may be enqueued again anyway. */
  advance(now: number): void {
    this.tickNo++;
    for (const [id, last] of this.sent) if (!this.waiting(last, now)) this.sent.delete(id);
  }

  private waiting(last: Sent, now: number): boolean {
    return now < last.at || this.tickNo - last.tick < REENQUEUE_AFTER_TICKS;
  }

  /** True when a message for this run, as scheduled now, went out recently enough to wait for it. */
  held(runId: string, due: number, now: number): boolean {
    const last = this.sent.get(runId);
    return last !== undefined && last.due === due && this.waiting(last, now);
  }

  remember(runId: string, due: number, at: number): void {
    this.sent.set(runId, { due, at, tick: this.tickNo });
  }

  get size(): number {
    return this.sent.size;
  }
}

const memos = new WeakMap<object, TickMemo>();

/** The memo of one runtime (keyed by its queue). */
export function tickMemo(owner: object): TickMemo {
  let memo = memos.get(owner);
  if (!memo) {
    memo = new TickMemo();
    memos.set(owner, memo);
  }
  return memo;
}
