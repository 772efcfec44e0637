/**
 * @module
 * `--limit N` for the local stack, as `prefect worker start --limit`: at most N flow runs being
 * submitted or running at once. A dispatch that finds no free slot is not claimed (the run stays
 * Scheduled, as under Prefect's worker, which stops submitting when its limiter is full): its
 * message is parked, one per run, and put back on the queue when a flow process exits. Parking
 * instead of waiting inside the handler keeps the queue's handlers free for triggers.
 */

export interface RunLimitOptions {
  /** The most runs at once. */
  limit: number;
  /** How many processes the backend has started so far (they each exit once). */
  started(): number;
  /** Puts a parked message back on the queue. */
  resend(body: string): void;
}

export class RunLimit {
  private inflight = 0;
  private exited = 0;
  private readonly parked = new Map<string, string>();

  constructor(private readonly options: RunLimitOptions) {}

  /** Flow processes started and not yet exited. */
  get running(): number {
    return this.options.started() - this.exited;
  }

  /** Runs waiting for a slot. */
  get waiting(): number {
    return this.parked.size;
  }

  /**
   * Takes a slot for this run's dispatch, returning its release (call it when the dispatch is
   * done: a process it started holds its own slot until it exits), or parks the message and
   * returns null.
   */
  tryAcquire(flowRunId: string, body: string): (() => void) | null {
    if (this.inflight + this.running >= this.options.limit) {
      this.parked.delete(flowRunId); // one parked message per run, the newest at the back
      this.parked.set(flowRunId, body);
      return null;
    }
    this.inflight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inflight--;
      this.wake();
    };
  }

  /** A flow process exited: its slot is free. */
  onExit(): void {
    this.exited++;
    this.wake();
  }

  private wake(): void {
    let free = this.options.limit - this.inflight - this.running;
    for (const [flowRunId, body] of this.parked) {
      if (free-- <= 0) break;
      this.parked.delete(flowRunId);
      this.options.resend(body);
    }
  }
}
